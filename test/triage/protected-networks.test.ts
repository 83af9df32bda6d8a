import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCrashtestError } from '../../src/core/index.ts';
import { defaultConfig } from '../../src/config/index.ts';
import { PRIVATE_NETWORKS, ProtectedNetworks } from '../../src/triage/index.ts';

describe('protected networks', () => {
  it('IPv4 and IPv6 CIDR blocks; bare addresses are host routes', () => {
    const networks = ProtectedNetworks.fromCidrs(['192.0.2.0/24', '2001:db8::/32', '198.51.100.7']);
    assert.equal(networks.isProtected('192.0.2.200'), true);
    assert.equal(networks.isProtected('192.0.3.1'), false);
    assert.equal(networks.isProtected('2001:db8:1::5'), true);
    assert.equal(networks.isProtected('2001:db9::5'), false);
    assert.equal(networks.isProtected('198.51.100.7'), true);
    assert.equal(networks.isProtected('198.51.100.8'), false);
    assert.equal(networks.isProtected('::ffff:192.0.2.1'), false, 'families do not mix');
  });

  it('the default is the private ranges, the same list the config schema defaults to', () => {
    const networks = ProtectedNetworks.privateRanges();
    for (const address of ['10.1.2.3', '172.31.255.1', '192.168.1.1', 'fd00::1', 'fe80::1']) assert.equal(networks.isProtected(address), true, address);
    for (const address of ['8.8.8.8', '172.32.0.1', '2001:4860::8888']) assert.equal(networks.isProtected(address), false, address);
    assert.deepEqual(defaultConfig().triage.protectedNetworks, PRIVATE_NETWORKS);
  });

  it('every-receiver mode (offline analysis) protects any parseable address', () => {
    const networks = ProtectedNetworks.everyReceiver();
    assert.equal(networks.mode, 'every_receiver');
    assert.equal(networks.isProtected('24.6.125.19'), true);
    assert.equal(networks.isProtected('2001:db8::1'), true);
    assert.equal(networks.isProtected('not an address'), false);
  });

  it('a malformed block is a config error naming the key; odd addresses never throw', () => {
    assert.throws(() => ProtectedNetworks.fromCidrs(['10.0.0.0/8', '10.0.0.0/33']), (error: unknown) => isCrashtestError(error, 'CT_ERR_CONFIG_INVALID') && /protectedNetworks\.1/.test(error.message));
    assert.throws(() => ProtectedNetworks.fromCidrs(['1:2:3']), (error: unknown) => isCrashtestError(error, 'CT_ERR_CONFIG_INVALID'));
    const networks = ProtectedNetworks.privateRanges();
    for (const odd of ['', '10.0.0', '::::', '1.2.3.4.5', '300.1.1.1', 'fe80::1%eth0']) assert.doesNotThrow(() => networks.isProtected(odd));
  });
});
