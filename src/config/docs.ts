import { z } from 'zod';
import { configSchema } from './schema.ts';

interface JsonSchemaNode {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchemaNode>;
}

/** Renders docs/config.md from the schema, so the page cannot drift from what is validated. */
export function renderConfigDoc(): string {
  const root = z.toJSONSchema(configSchema, { io: 'input' }) as JsonSchemaNode;
  const lines = [
    '# Configuration',
    '',
    'crashtest validates its configuration against one schema at start-up and freezes it. Unknown keys',
    'and wrong types stop start-up with a message naming the key path. Every key is optional; the',
    'defaults below are what an empty file gives. Units are in the key names (`Ms`, `Bytes`).',
    '',
    'This page is generated from `src/config/schema.ts` (`npx tsx scripts/config-doc.ts > docs/config.md`)',
    'and a test keeps the two equal.',
    '',
  ];
  for (const [section, node] of Object.entries(root.properties ?? {})) {
    lines.push(`## \`${section}\``, '', node.description ?? '', '', '| key | type | default | meaning |', '|---|---|---|---|');
    for (const [key, leaf] of Object.entries(node.properties ?? {})) {
      const type = leaf.enum ? leaf.enum.map((value) => `\`${String(value)}\``).join(' \\| ') : (leaf.type ?? '');
      lines.push(`| \`${section}.${key}\` | ${type} | \`${JSON.stringify(leaf.default)}\` | ${leaf.description ?? ''} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
