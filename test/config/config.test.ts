import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, validateConfig } from '../../src/config/index.ts';
import { isCrashtestError } from '../../src/core/index.ts';

test('defaults validate and are frozen all the way down', () => {
  const config = defaultConfig();
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.flow));
  assert.equal(config.flow.overlapPolicy, 'first');
  assert.throws(() => {
    (config.flow as { memcapBytes: number }).memcapBytes = 1;
  }, TypeError);
});

test('an unknown key stops validation and the error names its path', () => {
  assert.throws(
    () => validateConfig({ flow: { memcapBytse: 10 } }),
    (error: unknown) => isCrashtestError(error, 'CT_ERR_CONFIG_INVALID') && /flow/.test(error.message) && /memcapBytse/.test(error.message),
  );
});

test('a wrong type names the key path', () => {
  assert.throws(
    () => validateConfig({ flow: { tcpIdleTimeoutMs: -5 } }),
    (error: unknown) => isCrashtestError(error, 'CT_ERR_CONFIG_INVALID') && error.details.key === 'flow.tcpIdleTimeoutMs',
  );
});

test('docs/config.md is the page the schema renders', async () => {
  const { readFileSync } = await import('node:fs');
  const { renderConfigDoc } = await import('../../src/config/index.ts');
  const page = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');
  assert.equal(page, renderConfigDoc(), 'regenerate with: npx tsx scripts/config-doc.ts > docs/config.md');
});
