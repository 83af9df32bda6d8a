import { z } from 'zod';
import { configSchema } from './schema.ts';

interface JsonSchemaNode {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
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
    '`[]` in a key stands for each entry of a list (`dummies.netns.profiles.0.lowerDir` in messages).',
    '',
    'This page is generated from `src/config/schema.ts` (`npx tsx scripts/config-doc.ts > docs/config.md`)',
    'and a test keeps the two equal.',
    '',
  ];
  for (const [section, node] of Object.entries(root.properties ?? {})) {
    lines.push(`## \`${section}\``, '', node.description ?? '', '', '| key | type | default | meaning |', '|---|---|---|---|');
    lines.push(...rows(section, node));
    lines.push('');
  }
  return lines.join('\n');
}

/** One row per key; objects (and lists of objects) whose keys are described get a row per key inside. */
function rows(prefix: string, node: JsonSchemaNode): string[] {
  const lines: string[] = [];
  for (const [key, leaf] of Object.entries(node.properties ?? {})) {
    const path = `${prefix}.${key}`;
    const type = leaf.enum ? leaf.enum.map((value) => `\`${String(value)}\``).join(' \\| ') : (leaf.type ?? '');
    const shown = leaf.default === undefined ? '—' : `\`${JSON.stringify(leaf.default)}\``;
    lines.push(`| \`${path}\` | ${type} | ${shown} | ${leaf.description ?? ''} |`);
    if (described(leaf)) lines.push(...rows(path, leaf));
    else if (leaf.items && described(leaf.items)) lines.push(...rows(`${path}[]`, leaf.items));
  }
  return lines;
}

function described(node: JsonSchemaNode): boolean {
  return Object.values(node.properties ?? {}).some((child) => child.description !== undefined);
}
