/**
 * A real infection, end to end, in a netns dummy. The dummy runs the vulnerable application of
 * CVE-2017-5941 (the Opsecx write-up): a few lines of node that `unserialize()` a base64 cookie with
 * node-serialize 0.0.4, installed from the npm registry into the dummy's lower directory at test
 * time. The capture, made here with the product's builders, holds the public exploit request: an
 * immediately invoked `_$$ND_FUNC$$_` function carrying the nodejsshell-style reverse shell to
 * 203.0.113.50:4444. `crashtest analyze` (the analyze service) runs on a netns farm: the service
 * really executes the payload, the shell's connection lands in the containment, the verdict is
 * `compromised`.
 *
 * Alongside: tcpdump on the host's own interfaces (the root namespace) records nothing from a
 * dummy or to the callback address, the dummy's own pcap (taken inside the containment namespace)
 * does hold the callback, and teardown leaves no namespace, link or nft table behind.
 * Needs root, ip, nft, tcpdump, unshare and the npm registry; skipped with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeCaptures, createNetnsFarm, type CrashtestEvent, type NetnsFarm } from '../../src/daemon/index.ts';
import { makeLowerDir, netnsSkipReason } from './netns-fixture.ts';
import { CALLBACK, captureFile, installVulnerablePackage, nodeSerializeProfile, VULNERABLE_SERVICE, VULNERABLE_SERVICE_COMMAND } from './node-serialize-fixture.ts';

function namespacesOf(prefix: string): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((line) => line.startsWith(prefix));
}

const skip = netnsSkipReason();

if (skip !== null) {
  describe('a real infection in a netns dummy', () => {
    it(skip, { skip });
  });
} else {
  describe('a real infection in a netns dummy', () => {
    const lower = makeLowerDir(VULNERABLE_SERVICE);
    const work = mkdtempSync(join(tmpdir(), 'crashtest-netns-infection-'));
    const hostPcap = join(work, 'host-interfaces.pcap');
    let installFailure: string | null = null;
    let hostCapture: ChildProcess | null = null;
    let farm: NetnsFarm | null = null;
    const events: CrashtestEvent[] = [];
    const profile = nodeSerializeProfile();

    before(async () => {
      installFailure = installVulnerablePackage(join(lower.dir, 'srv'));
      if (installFailure) return;
      // the host's own interfaces: anything of a dummy's here would be a containment breach
      hostCapture = spawn('tcpdump', ['-i', 'any', '-n', '-U', '-w', hostPcap, `net 10.213.0.0/16 or host ${CALLBACK.address}`], { stdio: ['ignore', 'ignore', 'pipe'] });
      await new Promise<void>((resolve, reject) => {
        let said = '';
        hostCapture!.stderr!.on('data', (chunk: Buffer) => {
          said += chunk.toString();
          if (said.includes('listening on')) resolve();
        });
        hostCapture!.once('exit', (code) => reject(new Error(`tcpdump on the host exited ${code}: ${said}`)));
      });
      farm = createNetnsFarm({
        profiles: [profile],
        driver: { dummies: { [profile.id]: { lowerDir: lower.dir, services: [VULNERABLE_SERVICE_COMMAND] } }, maxDwellMs: 1_500, warmSpare: false },
      });
    });

    after(async () => {
      await farm?.close();
      hostCapture?.kill('SIGTERM');
      lower.remove();
      rmSync(work, { recursive: true, force: true });
    });

    it('analyze on a netns farm: the payload really runs, the shell calls back into containment, verdict compromised', { timeout: 120_000 }, async (context) => {
      if (installFailure) return context.skip(installFailure);
      const summary = await analyzeCaptures([captureFile(work)], { onEvent: (event) => events.push(event), farm: farm!, catalogue: farm!.catalogue, dwellMs: 1_500 });
      const verdicts = summary.result.verdicts;
      assert.equal(verdicts.length, 1, `one verdict expected, got ${verdicts.map((verdict) => verdict.level).join(', ')}`);
      const verdict = verdicts[0]!;
      assert.equal(verdict.level, 'compromised');
      assert.equal(verdict.profile, profile.id);
      const egress = (verdict.outcome?.observations ?? []).flatMap((seen) => (seen.source === 'containment' ? [seen.event] : []));
      const callback = egress.find((event) => event.facts.kind === 'tcp_connect');
      assert.ok(callback, `no callback in containment: ${JSON.stringify(egress)}`);
      assert.deepEqual(callback.destination, CALLBACK, 'the containment reports where the shell meant to go');
      assert.ok(events.some((event) => event.event_type === 'verdict' && (event as { level?: string }).level === 'compromised'), 'the EVE verdict event says compromised');
    });

    it("the dummy's pcap, taken in the containment namespace, holds the callback", { timeout: 30_000 }, async (context) => {
      if (installFailure) return context.skip(installFailure);
      const pcaps = spawnSync('sh', ['-c', `ls ${join(tmpdir(), 'crashtest-netns')}/*/pcap/*.pcap 2>/dev/null`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      const printed = pcaps.map((file) => spawnSync('tcpdump', ['-n', '-r', file, `host ${CALLBACK.address} and tcp port ${CALLBACK.port}`], { encoding: 'utf8' }).stdout).join('');
      assert.match(printed, new RegExp(`${CALLBACK.address.replaceAll('.', '\\.')}\\.${CALLBACK.port}`), `no packet to the callback in ${pcaps.join(', ')}`);
    });

    it("tcpdump on the host's own interfaces saw no packet from a dummy", { timeout: 30_000 }, async (context) => {
      if (installFailure) return context.skip(installFailure);
      hostCapture!.kill('SIGTERM');
      await new Promise((resolve) => (hostCapture!.exitCode === null ? hostCapture!.once('exit', resolve) : resolve(null)));
      const bytes = readFileSync(hostPcap);
      assert.equal(bytes.length, 24, `the host capture holds packets of a dummy: ${spawnSync('tcpdump', ['-n', '-r', hostPcap], { encoding: 'utf8' }).stdout}`);
    });

    it('teardown leaves no namespace, link, nft table or process behind', { timeout: 60_000 }, async (context) => {
      if (installFailure) return context.skip(installFailure);
      const prefix = `crashtest-${process.pid}-`;
      assert.ok(namespacesOf(prefix).length > 0, 'the farm should have namespaces while open');
      await farm!.close();
      assert.deepEqual(namespacesOf(prefix), []);
      const links = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout;
      assert.doesNotMatch(links, /\b[vt]\d+[@:]/, 'a dummy link in the root namespace');
      const tables = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout;
      assert.doesNotMatch(tables, /crashtest/);
      const leftovers = spawnSync('sh', ['-c', `ls ${join(tmpdir(), 'crashtest-netns')} 2>/dev/null`], { encoding: 'utf8' }).stdout;
      assert.doesNotMatch(leftovers, new RegExp(prefix), 'scratch directories left behind');
    });
  });
}
