/**
 * The farm a config declares: which drivers it builds, where a lease goes, what it refuses at
 * start (with the key path) and that close() reaches every driver. Nothing here starts a real
 * dummy: the netns check is injected, so the routing is tested as any user; the real netns run is
 * test/cli/analyze-config-netns.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/index.ts';
import { Counters, isCrashtestError } from '../../src/core/index.ts';
import { createFarmFromConfig, type Farm } from '../../src/daemon/index.ts';
import { defaultCatalogue } from '../../src/sandbox/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'crashtest-farm-config-'));
const kernel = join(dir, 'vmlinuz');
writeFileSync(kernel, 'not really a kernel: only its existence is checked before the first lease');
after(() => rmSync(dir, { recursive: true, force: true }));

const available = { netnsUnavailableReason: () => null };

function profile(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    family: 'site-apps',
    description: 'A site application',
    os: { kind: 'linux', product: 'debian', name: 'Debian GNU/Linux', version: '12' },
    arch: process.arch === 'arm64' ? 'arm' : 'x64',
    roles: ['server'],
    services: [{ proto: 'tcp', port: 8080, name: 'http' }],
    fingerprint: { initialTtl: 64, tcpWindowSizes: [64_240], tcpOptionOrder: ['mss'], smbDialects: [], httpServerHeaders: [] },
    vulnerabilities: [],
    ...overrides,
  };
}

const netnsEntry = (id: string, overrides: Record<string, unknown> = {}) => ({ profile: profile(id, overrides), lowerDir: dir, services: ['true'] });
const qemuEntry = (id: string, overrides: Record<string, unknown> = {}) => ({ profile: profile(id, { arch: 'x64', ...overrides }), machine: { kernel, readiness: { port: 80 } } });

function refused(build: () => unknown, code: string, key: string, message: RegExp): void {
  assert.throws(build, (error: unknown) => {
    assert.ok(isCrashtestError(error), String(error));
    assert.equal(error.code, code, error.message);
    assert.equal(error.details.key, key, error.message);
    assert.match(error.message, message);
    return true;
  });
}

describe('the farm from the config', () => {
  it('an empty config gives the emulated catalogue in one emulated pool, as before', async () => {
    const farm = createFarmFromConfig(validateConfig({}));
    try {
      assert.deepEqual(farm.farms.map((each) => each.driver.name), ['emulated']);
      assert.equal(farm.catalogue.size, defaultCatalogue().size);
      const first = defaultCatalogue().list()[0]!;
      assert.equal(farm.driverOf(first.id), 'emulated');
      assert.equal(farm.snapshot().maxVictims, validateConfig({}).pool.maxVictims);
    } finally {
      await farm.close();
    }
  });

  it('netns and qemu profiles get a pool each beside the emulated one; one catalogue; a lease goes to the pool of its driver', async () => {
    const config = validateConfig({ pool: { maxVictims: 5 }, dummies: { netns: { maxVictims: 3, profiles: [netnsEntry('site-app')] }, qemu: { maxVictims: 1, profiles: [qemuEntry('site-vm')] } } });
    const counters = new Counters();
    const farm = createFarmFromConfig(config, { ...available, counters });
    try {
      assert.deepEqual(farm.farms.map((each) => each.driver.name), ['emulated', 'netns', 'qemu']);
      assert.equal(farm.catalogue.size, defaultCatalogue().size + 2);
      assert.equal(farm.driverOf('site-app'), 'netns');
      assert.equal(farm.driverOf('site-vm'), 'qemu');
      assert.equal(farm.driverOf('no-such-profile'), undefined);
      assert.ok(farm.farms[1]!.driver.supports(farm.catalogue.get('site-app')), 'the netns driver was told what runs for the profile');
      assert.ok(farm.farms[2]!.driver.supports(farm.catalogue.get('site-vm')), 'the qemu driver has the machine of the profile');
      assert.equal(farm.snapshot().maxVictims, 5 + 3 + 1, 'each pool keeps its own bound');

      // an emulated profile is leased from the emulated pool, and only there
      const emulated = defaultCatalogue().list().find((each) => each.services.some((service) => service.proto === 'tcp'))!;
      const seenBy = await farm.lease(emulated, async (victim) => victim.profile.id);
      assert.equal(seenBy, emulated.id);
      const pools = farm.farms.map((each) => each.pool.snapshot().profiles.map((slots) => slots.profileId));
      assert.deepEqual(pools, [[emulated.id], [], []]);
      assert.equal(counters.snapshot()['pool.reverts'], 1, 'the farm shares the caller\'s counters');
      await assert.rejects(farm.lease({ ...emulated, id: 'no-such-profile' }, async () => 0), (error: unknown) => isCrashtestError(error, 'CT_ERR_PROFILE_UNKNOWN'));
    } finally {
      await farm.close();
    }
    assert.ok(farm.farms.every((each) => each.driver.closed && each.pool.closed), 'close() reached every pool and driver');
  });

  it('with dummies.emulated off only the declared profiles are in the farm', async () => {
    const farm: Farm = createFarmFromConfig(validateConfig({ dummies: { emulated: false, netns: { profiles: [netnsEntry('only-app')] } } }), available);
    try {
      assert.deepEqual(farm.farms.map((each) => each.driver.name), ['netns']);
      assert.deepEqual(farm.catalogue.list().map((each) => each.id), ['only-app']);
    } finally {
      await farm.close();
    }
  });

  it('real dummies that cannot run here are refused at start with the reason the drivers give', () => {
    const config = validateConfig({ dummies: { qemu: { profiles: [qemuEntry('site-vm')] } } });
    refused(() => createFarmFromConfig(config, { netnsUnavailableReason: () => 'network namespaces need root (CAP_NET_ADMIN, CAP_SYS_ADMIN); running as uid 1000' }), 'CT_ERR_NETNS_UNAVAILABLE', 'dummies.qemu', /^dummies\.qemu: qemu driver: network namespaces need root/);
  });

  it('what can be checked before a dummy exists is refused with its key path', () => {
    const build = (dummies: Record<string, unknown>) => () => createFarmFromConfig(validateConfig({ dummies }), available);
    refused(build({ netns: { profiles: [netnsEntry('a'), { ...netnsEntry('b'), lowerDir: join(dir, 'missing') }] } }), 'CT_ERR_CONFIG_INVALID', 'dummies.netns.profiles.1.lowerDir', /missing does not exist/);
    refused(build({ netns: { profiles: [{ ...netnsEntry('a'), lowerDir: kernel }] } }), 'CT_ERR_CONFIG_INVALID', 'dummies.netns.profiles.0.lowerDir', /is not a directory/);
    refused(build({ qemu: { profiles: [{ ...qemuEntry('vm'), machine: { kernel, initrd: join(dir, 'initrd.gz'), readiness: { port: 80 } } }] } }), 'CT_ERR_QEMU_UNAVAILABLE', 'dummies.qemu.profiles.0.machine.initrd', /initrd\.gz does not exist/);
    const builtIn = defaultCatalogue().list()[0]!.id;
    refused(build({ netns: { profiles: [netnsEntry(builtIn)] } }), 'CT_ERR_CONFIG_INVALID', 'dummies.netns.profiles.0.profile.id', /built-in emulated profile/);
    refused(build({ qemu: { profiles: [qemuEntry('win-image', { os: { kind: 'windows', product: 'windows-xp', name: 'Windows XP', version: '5.1' } })] } }), 'CT_ERR_CONFIG_INVALID', 'dummies.qemu.profiles.0.profile', /qemu driver cannot be a dummy of win-image \(windows\/x64\): it serves linux/);
  });
});
