/**
 * Learned signatures as a file, so a payload proven once is answered at once in every later run:
 * one JSON object per line, content bytes in base64. Reading validates every field and names the
 * line and key of anything broken.
 */
import { CrashtestError } from '../core/index.ts';
import type { LearnedSignature } from './learned-signatures.ts';

const FORMAT = 'crashtest-signature/1';

export function encodeSignatures(signatures: readonly LearnedSignature[]): string {
  return signatures
    .map((signature) =>
      JSON.stringify({
        format: FORMAT,
        ...signature,
        content: signature.content ? { ...signature.content, bytes: signature.content.bytes.toString('base64') } : null,
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}

export function decodeSignatures(text: string, source = 'signatures'): LearnedSignature[] {
  const signatures: LearnedSignature[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${source}:${index + 1}`;
    const fail = (key: string, expected: string): never => {
      throw new CrashtestError('CT_ERR_SIGNATURES_INVALID', `${where}: ${key} must be ${expected}`, { key, line: index + 1 });
    };
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return fail('the line', 'one JSON object');
    }
    if (value.format !== FORMAT) fail('format', `"${FORMAT}"`);
    const integer = (key: string): number => (Number.isInteger(value[key]) ? (value[key] as number) : fail(key, 'an integer'));
    const text = (key: string): string => (typeof value[key] === 'string' && value[key] !== '' ? (value[key] as string) : fail(key, 'a non-empty string'));
    const proto = value.proto === 'tcp' || value.proto === 'udp' ? value.proto : fail('proto', '"tcp" or "udp"');
    const facts = (typeof value.facts === 'object' && value.facts !== null ? value.facts : fail('facts', 'an object')) as LearnedSignature['facts'];
    if (facts.level !== 'exploited' && facts.level !== 'compromised') fail('facts.level', '"exploited" or "compromised"');
    let content: LearnedSignature['content'] = null;
    if (value.content !== null && value.content !== undefined) {
      const raw = value.content as Record<string, unknown>;
      const bytes = typeof raw.bytes === 'string' ? Buffer.from(raw.bytes, 'base64') : fail('content.bytes', 'base64 text');
      const offset = Number.isInteger(raw.offset) ? (raw.offset as number) : fail('content.offset', 'an integer');
      const origin = raw.source === 'trigger' || raw.source === 'shellcode' || raw.source === 'distinctive_window' ? raw.source : fail('content.source', 'trigger, shellcode or distinctive_window');
      content = { bytes, offset, source: origin };
    }
    signatures.push({
      id: integer('id'),
      revision: integer('revision'),
      payloadKey: text('payloadKey'),
      serviceKind: text('serviceKind'),
      proto,
      port: value.port === null ? null : integer('port'),
      content,
      message: text('message'),
      facts,
      learnedSeconds: integer('learnedSeconds'),
    });
  });
  return signatures;
}
