import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, validateConfig } from '../../src/config/index.ts';

test('response defaults are safe: dry run, approval, protection, a TTL and a rate limit', () => {
  const { respond } = defaultConfig();
  assert.equal(respond.dryRun, true);
  assert.equal(respond.approvalRequired, true);
  assert.equal(respond.minimumLevel, 'compromised');
  assert.ok(respond.ruleTtlSeconds > 0 && respond.maxActionsPerHour > 0);
  assert.ok(respond.protectedPortPatterns.length > 0);
});

test('broken switch and pattern entries stop start-up naming the key', () => {
  const invalid = (raw: unknown, key: string) =>
    assert.throws(() => validateConfig(raw), (error: Error & { details?: { key?: string } }) => error.details?.key === key);
  invalid({ attribution: { switches: [{ name: 's', host: 'h', version: '3', user: 'u', authKey: 'short', privKey: 'long-enough' }] } }, 'attribution.switches.0.authKey');
  invalid({ attribution: { switches: [{ name: 's', host: 'h', version: '2c' }] } }, 'attribution.switches.0.community');
  invalid({ respond: { protectedPortPatterns: ['(unclosed'] } }, 'respond.protectedPortPatterns.0');
  invalid({ respond: { dryRun: 'no' } }, 'respond.dryRun');
});
