/**
 * `crashtest sessions` end to end: the real bin, spawned, on small captures built here with the
 * project's own packet builders and pcap encoder (nothing from the corpus).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildPcap } from '../../src/capture/index.ts';
import { LinkType, TcpFlag } from '../../src/core/index.ts';
import { ethernet, ipv4, repoRoot, tcp, udp } from './fixtures.ts';

const CLIENT_MAC = '02:00:00:00:00:01';
const SERVER_MAC = '02:00:00:00:00:02';
const T0 = 1_700_000_000;
const REQUEST = Buffer.from('GET / HTTP/1.0\r\n\r\n');
const RESPONSE = Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello');
const QUERY = Buffer.from('dns query bytes');
const ANSWER = Buffer.from('dns answer bytes, longer');

interface BuiltFrame {
  seconds: number;
  nanoseconds: number;
  data: Buffer;
}

function tcpFrame(fromClient: boolean, micros: number, options: { seq: number; ack?: number; flags: number }, payload = Buffer.alloc(0), clientPort = 40000): BuiltFrame {
  const [srcIp, dstIp, srcPort, dstPort] = fromClient ? ['10.0.0.1', '10.0.0.2', clientPort, 80] : ['10.0.0.2', '10.0.0.1', 80, clientPort];
  const [srcMac, dstMac] = fromClient ? [CLIENT_MAC, SERVER_MAC] : [SERVER_MAC, CLIENT_MAC];
  const data = ethernet(srcMac, dstMac, 0x0800, ipv4({ src: srcIp, dst: dstIp, protocol: 6 }, tcp({ srcPort, dstPort, ...options }, payload)));
  return { seconds: T0 + Math.floor(micros / 1e6), nanoseconds: (micros % 1e6) * 1000, data };
}

function udpFrame(fromClient: boolean, micros: number, payload: Buffer): BuiltFrame {
  const [srcIp, dstIp, srcPort, dstPort] = fromClient ? ['10.0.0.1', '10.0.0.53', 5353, 53] : ['10.0.0.53', '10.0.0.1', 53, 5353];
  const data = ethernet(fromClient ? CLIENT_MAC : SERVER_MAC, fromClient ? SERVER_MAC : CLIENT_MAC, 0x0800, ipv4({ src: srcIp, dst: dstIp, protocol: 17 }, udp({ srcPort, dstPort }, payload)));
  return { seconds: T0 + Math.floor(micros / 1e6), nanoseconds: (micros % 1e6) * 1000, data };
}

/** A full HTTP-like exchange on `clientPort`, starting at `start` µs. */
function httpSession(start: number, clientPort: number): BuiltFrame[] {
  const c = 1000;
  const s = 5000;
  const { SYN, ACK, FIN, PSH } = TcpFlag;
  return [
    tcpFrame(true, start, { seq: c, flags: SYN }, undefined, clientPort),
    tcpFrame(false, start + 100, { seq: s, ack: c + 1, flags: SYN | ACK }, undefined, clientPort),
    tcpFrame(true, start + 200, { seq: c + 1, ack: s + 1, flags: ACK }, undefined, clientPort),
    tcpFrame(true, start + 300, { seq: c + 1, ack: s + 1, flags: ACK | PSH }, REQUEST, clientPort),
    tcpFrame(false, start + 400, { seq: s + 1, ack: c + 1 + REQUEST.length, flags: ACK | PSH }, RESPONSE, clientPort),
    tcpFrame(true, start + 500, { seq: c + 1 + REQUEST.length, ack: s + 1 + RESPONSE.length, flags: ACK | FIN }, undefined, clientPort),
    tcpFrame(false, start + 600, { seq: s + 1 + RESPONSE.length, ack: c + 2 + REQUEST.length, flags: ACK | FIN }, undefined, clientPort),
    tcpFrame(true, start + 700, { seq: c + 2 + REQUEST.length, ack: s + 2 + RESPONSE.length, flags: ACK }, undefined, clientPort),
  ];
}

const FRAMES: BuiltFrame[] = [
  ...httpSession(0, 40000),
  udpFrame(true, 10_000, QUERY),
  udpFrame(false, 10_250, ANSWER),
  ...httpSession(20_000, 40001),
];

const work = mkdtempSync(join(tmpdir(), 'crashtest-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function writeCapture(name: string, frames: BuiltFrame[]): { path: string; bytes: Buffer } {
  const bytes = buildPcap(LinkType.ETHERNET, frames);
  const path = join(work, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

function crashtest(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'crashtest.js'), ...args], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const frameBytes = (frames: BuiltFrame[]): number => frames.reduce((sum, frame) => sum + frame.data.length, 0);

describe('crashtest sessions', () => {
  const good = writeCapture('good.pcap', FRAMES);

  it('--json prints one object per session with the documented fields', () => {
    const result = crashtest('sessions', '--json', good.path);
    assert.equal(result.status, 0, result.stderr);
    const sessions = jsonLines(result.stdout);
    assert.equal(sessions.length, 3);
    const first = sessions.find((session) => session.src_port === 40000)!;
    const httpFrames = httpSession(0, 40000);
    const toServer = httpFrames.filter((_, index) => [0, 2, 3, 5, 7].includes(index));
    const toClient = httpFrames.filter((_, index) => [1, 4, 6].includes(index));
    assert.deepEqual(
      {
        proto: first.proto,
        src_ip: first.src_ip,
        src_port: first.src_port,
        dest_ip: first.dest_ip,
        dest_port: first.dest_port,
        src_mac: first.src_mac,
        dest_mac: first.dest_mac,
        vlan: first.vlan,
        start: first.start,
        end: first.end,
        frames_to_server: first.frames_to_server,
        frames_to_client: first.frames_to_client,
        bytes_to_server: first.bytes_to_server,
        bytes_to_client: first.bytes_to_client,
        payload_bytes_to_server: first.payload_bytes_to_server,
        payload_bytes_to_client: first.payload_bytes_to_client,
        midstream: first.midstream,
        truncated: first.truncated,
        turns: first.turns,
      },
      {
        proto: 'tcp',
        src_ip: '10.0.0.1',
        src_port: 40000,
        dest_ip: '10.0.0.2',
        dest_port: 80,
        src_mac: CLIENT_MAC,
        dest_mac: SERVER_MAC,
        vlan: null,
        start: '2023-11-14T22:13:20.000000Z',
        end: '2023-11-14T22:13:20.000700Z',
        frames_to_server: 5,
        frames_to_client: 3,
        bytes_to_server: frameBytes(toServer),
        bytes_to_client: frameBytes(toClient),
        payload_bytes_to_server: REQUEST.length,
        payload_bytes_to_client: RESPONSE.length,
        midstream: false,
        truncated: false,
        turns: 2,
      },
    );
    assert.ok(['fin', 'end_of_capture'].includes(first.end_reason as string), `end_reason ${String(first.end_reason)}`);
    assert.deepEqual(first.anomalies, []);
    const dns = sessions.find((session) => session.proto === 'udp')!;
    assert.deepEqual([dns.src_ip, dns.src_port, dns.dest_ip, dns.dest_port], ['10.0.0.1', 5353, '10.0.0.53', 53]);
    assert.deepEqual([dns.payload_bytes_to_server, dns.payload_bytes_to_client, dns.turns], [QUERY.length, ANSWER.length, 2]);
    assert.equal(dns.start, '2023-11-14T22:13:20.010000Z');
  });

  it('--export writes both reassembled streams of each TCP session', () => {
    const exportDir = join(work, 'export');
    const result = crashtest('sessions', '--json', '--export', exportDir, good.path);
    assert.equal(result.status, 0, result.stderr);
    const folder = join(exportDir, 'good.pcap');
    const files = readdirSync(folder).sort();
    assert.equal(files.length, 4, files.join(', '));
    const toServer = files.find((name) => name.includes('10.0.0.1.40000-10.0.0.2.80') && name.endsWith('.to_server.bin'))!;
    const toClient = files.find((name) => name.includes('10.0.0.1.40000-10.0.0.2.80') && name.endsWith('.to_client.bin'))!;
    assert.ok(toServer && toClient, files.join(', '));
    assert.deepEqual(readFileSync(join(folder, toServer)), REQUEST);
    assert.deepEqual(readFileSync(join(folder, toClient)), RESPONSE);
  });

  it('a truncated file: sessions before the break are printed, the error names the byte offset, exit 1', () => {
    const lastRecord = good.bytes.length - (16 + FRAMES[FRAMES.length - 1]!.data.length);
    const cut = join(work, 'truncated.pcap');
    writeFileSync(cut, good.bytes.subarray(0, lastRecord + 20));
    const result = crashtest('sessions', '--json', cut, good.path);
    assert.equal(result.status, 1);
    assert.match(result.stderr, new RegExp(`truncated\\.pcap.*byte ${lastRecord}\\b`));
    const sessions = jsonLines(result.stdout);
    const fromCut = sessions.filter((session) => (session.file as string).endsWith('truncated.pcap'));
    // the two first sessions were complete; the third lost its last ACK and is still reported
    assert.deepEqual(fromCut.map((session) => session.src_port as number).sort((a, b) => a - b), [5353, 40000, 40001]);
    assert.equal(fromCut.find((session) => session.src_port === 40001)!.frames_to_server, 4);
    // the next file still ran
    assert.equal(sessions.filter((session) => (session.file as string).endsWith('good.pcap')).length, 3);
  });

  it('the table has aligned columns and a counters summary on stderr', () => {
    const result = crashtest('sessions', good.path);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^proto\s+client\s+server\s+start/);
    assert.match(lines[1]!, /10\.0\.0\.1:40000\s+→\s+10\.0\.0\.2:80/);
    const column = lines[0]!.indexOf('start');
    for (const line of lines.slice(1)) assert.match(line.slice(column), /^2023-11-14T22:13:20\.\d{6}Z/);
    assert.match(result.stderr, /1 file\(s\), 0 failed, 3 session\(s\)/);
    assert.match(result.stderr, /decoder\.packets 18/);
  });

  it('usage errors exit 2, unreadable files exit 1, --version exits 0', () => {
    assert.equal(crashtest('sessions').status, 2);
    assert.equal(crashtest('sessions', '--no-such-option', good.path).status, 2);
    assert.equal(crashtest('no-such-command').status, 2);
    const missing = crashtest('sessions', join(work, 'absent.pcap'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /absent\.pcap/);
    const version = crashtest('--version');
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  });
});
