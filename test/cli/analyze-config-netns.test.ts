/**
 * `crashtest analyze --config FILE CAPTURE --json` through the real entry (bin/crashtest.js) with a
 * real dummy declared in YAML: the node-serialize 0.0.4 service of test/sandbox/netns-infection
 * as a netns profile beside the emulated catalogue, its lower directory given relative to the
 * config file. The exploit's reverse shell really runs in the namespace and calls back into the
 * containment: the verdict is `compromised`, on the declared profile. Afterwards the CLI process
 * left no namespace, link or nft table behind.
 * Needs root, ip, nft, tcpdump, unshare and the npm registry; skipped with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeLowerDir, netnsSkipReason } from '../sandbox/netns-fixture.ts';
import { CALLBACK, captureFile, installVulnerablePackage, nodeSerializeProfile, SERVER, VULNERABLE_SERVICE, VULNERABLE_SERVICE_COMMAND } from '../sandbox/node-serialize-fixture.ts';
import { repoRoot } from './fixtures.ts';

const CLI = join(repoRoot, 'bin', 'crashtest.js');

interface PrintedEvent {
  event_type: string;
  level?: string;
  profile?: string;
  dest_ip?: string;
  dest_port?: number;
  evidence?: Array<Record<string, unknown>>;
}

/** The config an operator would write: YAML, the profile inline (JSON is YAML), the lower directory relative to the file. */
function configYaml(lowerDir: string): string {
  const profile = nodeSerializeProfile('real-node-serialize');
  return [
    'dummies:',
    '  netns:',
    '    maxDwellMs: 1500',
    '    warmSpare: false',
    '    profiles:',
    `      - profile: ${JSON.stringify(profile)}`,
    `        lowerDir: ../${basename(lowerDir)}`,
    `        services: [${JSON.stringify(VULNERABLE_SERVICE_COMMAND)}]`,
    '',
  ].join('\n');
}

function netnsLeftovers(pid: number): string[] {
  const prefix = `crashtest-${pid}-`;
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((line) => line.startsWith(prefix));
  const tables = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout.split('\n').filter((line) => line.includes(prefix));
  return [...namespaces, ...tables];
}

const skip = netnsSkipReason();

if (skip !== null) {
  describe('crashtest analyze --config with a netns dummy declared in YAML', () => {
    it(skip, { skip });
  });
} else {
  describe('crashtest analyze --config with a netns dummy declared in YAML', () => {
    const lower = makeLowerDir(VULNERABLE_SERVICE);
    const work = mkdtempSync(join(tmpdir(), 'crashtest-analyze-config-'));
    let installFailure: string | null = null;

    before(() => {
      installFailure = installVulnerablePackage(join(lower.dir, 'srv'));
    });

    after(() => {
      lower.remove();
      rmSync(work, { recursive: true, force: true });
    });

    it('the declared dummy really runs the payload: verdict compromised on it, callback in containment, nothing left behind', { timeout: 180_000 }, (context) => {
      if (installFailure) return context.skip(installFailure);
      // run where the journal and response store of --config may land (their paths are relative to the working directory)
      const config = join(work, 'crashtest.yaml');
      writeFileSync(config, configYaml(lower.dir));
      const checked = spawnSync(process.execPath, [CLI, 'config', 'check', config], { cwd: work, encoding: 'utf8' });
      assert.equal(checked.status, 0, checked.stderr);

      const run = spawnSync(process.execPath, [CLI, 'analyze', '--config', config, captureFile(work), '--json'], { cwd: work, encoding: 'utf8', timeout: 170_000 });
      assert.equal(run.status, 0, `exit ${run.status}: ${run.stderr}`);
      const events = run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as PrintedEvent);
      const verdicts = events.filter((event) => event.event_type === 'verdict');
      const real = verdicts.find((event) => event.profile === 'real-node-serialize');
      assert.ok(real, `no verdict on the declared profile: ${JSON.stringify(verdicts.map((event) => [event.profile, event.level]))}\n${run.stderr}`);
      assert.equal(real.level, 'compromised');
      assert.equal(real.dest_ip, SERVER.ip);
      assert.equal(real.dest_port, SERVER.port);
      const said = JSON.stringify(real.evidence);
      assert.ok(said.includes(CALLBACK.address) && said.includes(String(CALLBACK.port)), `the evidence names the shell's callback ${CALLBACK.address}:${CALLBACK.port}: ${said}`);
      // the emulated catalogue is still in the farm beside it: the same session was tried there too, and infected nothing
      assert.ok(
        verdicts.every((event) => event.profile === 'real-node-serialize' || event.level !== 'compromised'),
        'only the real node-serialize dummy is compromised by a node-serialize exploit',
      );
      assert.ok(events.some((event) => event.event_type === 'stats'), 'the run ends with its stats event');
      assert.deepEqual(netnsLeftovers(run.pid), [], 'the CLI closed its farm: no namespace or nft table of its run is left');
    });
  });
}
