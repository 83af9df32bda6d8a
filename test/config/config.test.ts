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
