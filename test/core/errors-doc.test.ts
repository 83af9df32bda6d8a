import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CrashtestError, ERROR_CODES, isCrashtestError } from '../../src/core/index.ts';

const documented = new Map(
  [...readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8').matchAll(/^\| `(CT_ERR_[A-Z0-9_]+)` \| (.+) \|$/gm)].map(
    (match) => [match[1]!, match[2]!],
  ),
);

test('every registered error code is documented in docs/errors.md with its meaning', () => {
  for (const [code, meaning] of Object.entries(ERROR_CODES)) {
    assert.equal(documented.get(code), meaning, `docs/errors.md row for ${code} (regenerate: npx tsx scripts/errors-doc.ts > docs/errors.md)`);
  }
});

test('docs/errors.md documents no code the registry lacks', () => {
  for (const code of documented.keys()) assert.ok(code in ERROR_CODES, `${code} is documented but not in src/core/errors.ts`);
});

test('CrashtestError carries its code and details', () => {
  const error = new CrashtestError('CT_ERR_CAPTURE_TRUNCATED', 'x.pcap: record at byte 24 is cut short', { file: 'x.pcap', offset: 24 });
  const unknownError: unknown = error;
  assert.ok(isCrashtestError(unknownError, 'CT_ERR_CAPTURE_TRUNCATED'));
  assert.ok(!isCrashtestError(unknownError, 'CT_ERR_CAPTURE_CORRUPT'));
  assert.equal(error.details.offset, 24);
});
