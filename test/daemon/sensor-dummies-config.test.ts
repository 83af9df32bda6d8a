/**
 * The daemon (`crashtest run`'s Sensor) builds its farm from the config's dummies section: a netns
 * dummy declared there (the node-serialize 0.0.4 service of test/sandbox/netns-infection) is in the
 * sensor's farm beside the emulated catalogue, and an exploit played onto the mirror interface (a
 * veth the test makes) is detonated in it for real: verdict `compromised` on the declared profile.
 * Needs root, ip, tcpdump, tcpreplay, nft, unshare and the npm registry; skipped with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/index.ts';
import { Sensor, type CrashtestEvent } from '../../src/daemon/index.ts';
import { createVethLab, liveLabUnavailable, type VethLab } from '../helpers/veth-lab.ts';
import { makeLowerDir, netnsSkipReason } from '../sandbox/netns-fixture.ts';
import { captureFile, installVulnerablePackage, nodeSerializeProfile, SERVER, VULNERABLE_SERVICE, VULNERABLE_SERVICE_COMMAND } from '../sandbox/node-serialize-fixture.ts';

const skip = netnsSkipReason() ?? (liveLabUnavailable() === null ? null : `live sensor tests skipped: ${liveLabUnavailable()}`);

if (skip !== null) {
  describe('the sensor builds its farm from the dummies section', () => {
    it(skip, { skip });
  });
} else {
  describe('the sensor builds its farm from the dummies section', () => {
    const lower = makeLowerDir(VULNERABLE_SERVICE);
    const work = mkdtempSync(join(tmpdir(), 'crashtest-sensor-dummies-'));
    let installFailure: string | null = null;
    let lab: VethLab | null = null;

    before(() => {
      installFailure = installVulnerablePackage(join(lower.dir, 'srv'));
      if (!installFailure) lab = createVethLab('dum');
    });

    after(() => {
      lab?.teardown();
      lower.remove();
      rmSync(work, { recursive: true, force: true });
    });

    it('an exploit seen on the mirror port compromises the declared netns dummy', { timeout: 180_000 }, async (context) => {
      if (installFailure) return context.skip(installFailure);
      const profile = nodeSerializeProfile('sensor-node-serialize');
      const config = validateConfig({
        sensor: { interfaces: [lab!.captureInterface], tcpdumpPath: lab!.tcpdumpPath, settleMs: 500, statsIntervalMs: 60_000 },
        triage: { protectEveryReceiver: true },
        pool: { warmPerProfile: 0, maxVictims: 8 },
        attribution: { journalPath: join(work, 'journal.sqlite') },
        respond: { storePath: join(work, 'respond.sqlite') },
        web: { enabled: false },
        dummies: { netns: { maxVictims: 2, maxDwellMs: 1_500, warmSpare: false, profiles: [{ profile, lowerDir: lower.dir, services: [VULNERABLE_SERVICE_COMMAND] }] } },
      });
      const events: CrashtestEvent[] = [];
      const sensor = await Sensor.start(config, { onEvent: (event) => events.push(event), log: () => undefined, outputs: [] });
      try {
        assert.equal(sensor.farm().maxVictims, 8 + 2, 'the emulated pool and the netns pool, each with its bound');
        await lab!.replay(captureFile(work), { mbps: 10 });
        const deadline = Date.now() + 120_000;
        while (!events.some((event) => event.event_type === 'verdict') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
      } finally {
        await sensor.close();
      }
      const verdicts = events.filter((event) => event.event_type === 'verdict') as unknown as Array<{ level: string; profile: string; dest_ip: string; dest_port: number }>;
      const real = verdicts.find((verdict) => verdict.profile === profile.id);
      assert.ok(real, `no verdict on ${profile.id}: ${JSON.stringify(verdicts)}`);
      assert.equal(real.level, 'compromised');
      assert.equal(real.dest_ip, SERVER.ip);
      assert.equal(real.dest_port, SERVER.port);
      assert.equal(sensor.farm().leasesActive, 0, 'every dummy is back after shutdown');
    });
  });
}
