import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  buildReplayBundle,
  buildVerdictEvent,
  crashtestVersion,
  decodeBundle,
  encodeBundle,
  EvidenceWriter,
  readBundle,
  writeBundle,
  type EgressExchange,
  type EvidenceItem,
} from '../../src/alert/index.ts';
import { readCaptureFile, synthesizeTcpExchange } from '../../src/capture/index.ts';
import type { Frame } from '../../src/core/index.ts';
import type { BehaviourTrace } from '../../src/emulator/index.ts';
import { sampleSession } from './fixtures.ts';
import { directionBytes, sessionsOf, tsharkFollowTcp } from './pipeline.ts';
import { schemaErrors } from './schema-validator.ts';

const work = mkdtempSync(join(tmpdir(), 'crashtest-evidence-'));
after(() => rmSync(work, { recursive: true, force: true }));

const at = (seconds: number, nanoseconds = 0) => ({ seconds: 1_700_000_000 + seconds, nanoseconds });
const exploitBytes = Buffer.concat([Buffer.from('\x00\x00\x10\x00\xffSMB'), Buffer.alloc(3000, 0x90), Buffer.from('\xfc\xe8\x82\x00')]);
const sessionFrames = synthesizeTcpExchange({
  client: { ip: '203.0.113.5', port: 1042 },
  server: { ip: '10.0.0.8', port: 445 },
  turns: [
    { direction: 'to_server', data: exploitBytes, time: at(1) },
    { direction: 'to_client', data: Buffer.from('\x00\x00\x00\x04ok!!'), time: at(1, 500_000) },
  ],
});
const session = sessionsOf(sessionFrames).sessions[0]!;

const egress: EgressExchange[] = [
  { proto: 'tcp', from: { ip: '10.0.0.8', port: 1035 }, to: { ip: '198.51.100.7', port: 4444 }, sent: Buffer.from('Microsoft Windows XP [Version 5.1.2600]\r\nC:\\>'), received: Buffer.from('dir\r\n'), time: at(2) },
  { proto: 'udp', from: { ip: '10.0.0.8', port: 1036 }, to: { ip: '198.51.100.53', port: 53 }, sent: Buffer.from('0102010000010000000000000465766c6c076578616d706c650000010001', 'hex'), received: Buffer.alloc(0), time: at(1, 900_000_000) },
  { proto: 'icmp', from: { ip: '10.0.0.8', port: 0 }, to: { ip: '198.51.100.9', port: 0 }, sent: Buffer.from('abcdefgh'), received: Buffer.from('abcdefgh'), time: at(3) },
];

const trace: BehaviourTrace = {
  os: 'windows',
  bits: 32,
  entryOffset: 0x0c04,
  events: [
    { sequence: 0, instruction: 120, api: 'kernel32.LoadLibraryA', kind: 'library', args: { name: 'ws2_32' }, summary: 'load ws2_32' },
    { sequence: 1, instruction: 410, api: 'ws2_32.connect', kind: 'network', args: { address: '198.51.100.7', port: 4444 }, summary: 'connect 198.51.100.7:4444\nforged line' },
  ],
  instructionCount: 5120,
  endReason: 'exit',
  virtualTimeMs: 0,
  droppedEvents: 0,
  listing: ['0x00400c04  31 c0  xor eax, eax', '0x00400c06  50  push eax'],
};

const evidence: EvidenceItem[] = [
  { kind: 'exploit', vulnerability: 'MS08-067', service: 'smb', detail: 'long path', vulnerable: true },
  { kind: 'connect', proto: 'tcp', dest_ip: '198.51.100.7', dest_port: 4444 },
];

function record(frames: readonly Frame[] = sessionFrames) {
  const verdict = buildVerdictEvent({ time: at(5), session, level: 'compromised', profile: 'windows-xp-sp2', evidence, method: 'replayed', vulnerability: 'MS08-067' });
  const bundle = buildReplayBundle({
    crashtestVersion: crashtestVersion(),
    created: verdict.timestamp,
    session,
    profile: 'windows-xp-sp2',
    vulnerability: 'MS08-067',
    dwellMs: 600_000,
    level: 'compromised',
    evidenceKinds: evidence.map((item) => item.kind),
  });
  return { verdict, sessionFrames: frames, egress, traces: [trace], bundle };
}

async function readFrames(path: string): Promise<Frame[]> {
  const frames: Frame[] = [];
  await readCaptureFile(path, (frame) => frames.push({ ...frame, data: Buffer.from(frame.data) }));
  return frames;
}

/** tshark must read the file to the end: exit 0, nothing on stderr, no malformed packets. */
function tsharkReads(path: string): string {
  const output = execFileSync('tshark', ['-r', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  assert.doesNotMatch(output, /Malformed/);
  return output;
}

describe('evidence writer', () => {
  const root = join(work, 'evidence');
  let written: Awaited<ReturnType<EvidenceWriter['write']>>;

  it('writes session.pcap, egress.pcap, trace.txt, verdict.json and bundle.json in one folder', async () => {
    written = await new EvidenceWriter(root).write(record());
    assert.deepEqual(readdirSync(written.dir).sort(), ['bundle.json', 'egress.pcap', 'session.pcap', 'trace.txt', 'verdict.json']);
    assert.match(written.dir, /20231114T221325\.000000-flow-1-compromised-windows-xp-sp2$/);
    assert.deepEqual(readdirSync(root), [written.dir.slice(root.length + 1)], 'no partial folder left behind');
  });

  it('session.pcap reads back (readCaptureFile and tshark) as the frames handed over', async () => {
    const path = join(written.dir, 'session.pcap');
    const frames = await readFrames(path);
    assert.equal(frames.length, sessionFrames.length);
    frames.forEach((frame, index) => {
      assert.ok(frame.data.equals(sessionFrames[index]!.data), `frame ${index} bytes`);
      assert.deepEqual([frame.seconds, frame.nanoseconds], [sessionFrames[index]!.seconds, sessionFrames[index]!.nanoseconds]);
    });
    assert.equal(tsharkReads(path).trim().split('\n').length, sessionFrames.length);
  });

  it('egress.pcap holds every exchange and reassembles (flow pipeline and tshark follow) to the same bytes', async () => {
    const path = join(written.dir, 'egress.pcap');
    const frames = await readFrames(path);
    for (let index = 1; index < frames.length; index++) {
      const previous = frames[index - 1]!;
      assert.ok(previous.seconds * 1e9 + previous.nanoseconds <= frames[index]!.seconds * 1e9 + frames[index]!.nanoseconds, 'time order');
    }
    const output = tsharkReads(path);
    assert.match(output, /ICMP.*Echo \(ping\) request/);
    assert.match(output, /ICMP.*Echo \(ping\) reply/);
    assert.match(output, /DNS/);
    const { sessions } = sessionsOf(frames);
    const tcp = sessions.find((candidate) => candidate.proto === 'tcp')!;
    assert.ok(directionBytes(tcp, 'to_server').equals(egress[0]!.sent));
    assert.ok(directionBytes(tcp, 'to_client').equals(egress[0]!.received));
    const udp = sessions.find((candidate) => candidate.proto === 'udp')!;
    assert.ok(directionBytes(udp, 'to_server').equals(egress[1]!.sent));
    const followed = tsharkFollowTcp(path);
    assert.ok(followed.toServer.equals(egress[0]!.sent) && followed.toClient.equals(egress[0]!.received), 'tshark follow');
  });

  it('trace.txt lists the calls one per line (attacker newlines escaped) and the disassembly', () => {
    const text = readFileSync(join(written.dir, 'trace.txt'), 'utf8');
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0]!, /^# run 1: windows 32-bit, entry offset 0xc04, 5120 instructions, ended exit/);
    assert.equal(lines[2], '1\t410\tws2_32.connect\tconnect 198.51.100.7:4444\\nforged line');
    assert.deepEqual(lines.slice(-2), trace.listing);
  });

  it('verdict.json is the verdict with evidence_dir set, valid against the schema', () => {
    const verdict = JSON.parse(readFileSync(join(written.dir, 'verdict.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(verdict.evidence_dir, written.dir);
    assert.deepEqual(verdict, written.verdict);
    assert.equal(schemaErrors('verdict.schema.json', verdict), '');
  });

  it('bundle.json validates against bundle.schema.json and reads back to the same bundle', async () => {
    const path = join(written.dir, 'bundle.json');
    assert.equal(schemaErrors('bundle.schema.json', JSON.parse(readFileSync(path, 'utf8'))), '');
    const bundle = await readBundle(path);
    assert.deepEqual(bundle, record().bundle);
    assert.equal(bundle.crashtestVersion, crashtestVersion());
    assert.ok(bundle.dialog[0]!.data.equals(exploitBytes));
    assert.deepEqual(bundle.dialog.map((turn) => [turn.direction, turn.timeOffsetMicroseconds]), [['to_server', 0], ['to_client', 500]]);
    assert.deepEqual(bundle.expected, { level: 'compromised', evidenceKinds: ['exploit', 'connect'] });
  });

  it('a second folder for the same verdict gets its own name', async () => {
    const second = await new EvidenceWriter(root).write(record());
    assert.equal(second.dir, `${written.dir}-2`);
  });

  it('frames of mixed link types are refused before anything is written', async () => {
    const mixedRoot = join(work, 'mixed');
    const mixed = [sessionFrames[0]!, { ...sessionFrames[1]!, linkType: 113 }];
    await assert.rejects(new EvidenceWriter(mixedRoot).write(record(mixed)), { code: 'CT_ERR_INVALID_ARGUMENT' });
  });

  it('an unwritable root is CT_ERR_EVIDENCE_WRITE and leaves nothing behind', async () => {
    const file = join(work, 'not-a-folder');
    writeFileSync(file, 'x');
    await assert.rejects(new EvidenceWriter(join(file, 'evidence')).write(record()), { code: 'CT_ERR_EVIDENCE_WRITE' });
  });
});

describe('replay bundles', () => {
  const good = () => JSON.parse(encodeBundle(record().bundle)) as Record<string, unknown>;
  const peer = () => ({ destination: { ip: '198.51.100.7', port: 80 }, captured_client: { ip: '10.0.0.8', port: 40_002 }, flow_id: 8, dialog: [{ direction: 'to_client', time_offset_us: 0, data_base64: 'AA==' }] });

  it('round-trips through writeBundle and readBundle, and through encode/decode', async () => {
    const path = join(work, 'bundle.json');
    const bundle = buildReplayBundle({ crashtestVersion: '9.9.9', session: sampleSession([]), profile: 'p', dwellMs: 0, level: 'attempted', evidenceKinds: [] });
    assert.throws(() => decodeBundle(encodeBundle(bundle)), { code: 'CT_ERR_BUNDLE_INVALID' }, 'a bundle needs a dialog');
    const withDialog = { ...bundle, dialog: [{ direction: 'to_server' as const, timeOffsetMicroseconds: 0, data: Buffer.from([0, 1, 2, 255]) }] };
    await writeBundle(path, withDialog);
    assert.deepEqual(await readBundle(path), withDialog);
    assert.deepEqual(readdirSync(work).filter((name) => name.endsWith('.partial')), []);
  });

  it('carries captured peers: per destination in the order served, turn offsets from the capture, through encode/decode and the schema', async () => {
    const turn = (direction: 'to_server' | 'to_client', text: string, seconds: number, nanoseconds = 0) => ({ direction, data: Buffer.from(text), ...at(seconds, nanoseconds) });
    const ldap = { sessionId: 7, capturedClient: { address: '10.0.0.8', port: 40_001 }, turns: [turn('to_server', 'bind', 10), turn('to_client', 'bound', 10, 250_000)] };
    const ldapAgain = { sessionId: 9, capturedClient: { address: '10.0.0.8', port: 40_003 }, turns: [turn('to_server', 'search', 12), turn('to_client', 'javaCodeBase', 12, 1_000)] };
    const http = { sessionId: 8, capturedClient: { address: '10.0.0.8', port: 40_002 }, turns: [turn('to_server', 'GET /Exploit.class', 11), turn('to_client', '\xca\xfe\xba\xbe', 11, 2_000_000)] };
    const bundle = buildReplayBundle({
      crashtestVersion: '9.9.9',
      session,
      profile: 'linux-java-log4j-2.14',
      dwellMs: 600_000,
      level: 'compromised',
      evidenceKinds: ['exec'],
      peers: [
        { address: '198.51.100.7', port: 1389, peers: [ldap, ldapAgain] },
        { address: '198.51.100.7', port: 80, peers: [http] },
      ],
    });
    assert.deepEqual(
      bundle.peers?.map((peer) => [`${peer.destination.ip}:${peer.destination.port}`, peer.flowId, peer.capturedClient.port, peer.dialog.map((item) => item.timeOffsetMicroseconds)]),
      [['198.51.100.7:1389', 7, 40_001, [0, 250]], ['198.51.100.7:1389', 9, 40_003, [0, 1]], ['198.51.100.7:80', 8, 40_002, [0, 2_000]]],
    );
    const json = JSON.parse(encodeBundle(bundle)) as { peers: Array<Record<string, unknown>> };
    assert.deepEqual(Object.keys(json.peers[0]!), ['destination', 'captured_client', 'flow_id', 'dialog']);
    assert.equal(schemaErrors('bundle.schema.json', json), '');
    const path = join(work, 'bundle-peers.json');
    await writeBundle(path, bundle);
    const read = await readBundle(path);
    assert.deepEqual(read, bundle);
    assert.ok(read.peers![2]!.dialog[1]!.data.equals(Buffer.from('\xca\xfe\xba\xbe')));
    // a bundle without peers (every bundle written before them) has no peers key and still reads
    assert.equal('peers' in JSON.parse(encodeBundle(record().bundle)), false);
    assert.equal(decodeBundle(encodeBundle(record().bundle)).peers, undefined);
    assert.equal(buildReplayBundle({ crashtestVersion: '9.9.9', session, profile: 'p', dwellMs: 0, level: 'attempted', evidenceKinds: [], peers: [] }).peers, undefined, 'no destinations, no peers key');
  });

  it('damaged bundles are rejected with CT_ERR_BUNDLE_INVALID naming the field, and the schema rejects them too', () => {
    const damaged: [string, string, string | undefined][] = [
      ['truncated', encodeBundle(record().bundle).slice(0, 200), undefined],
      ['not an object', '[1, 2]', '(root)'],
      ['wrong format', JSON.stringify({ ...good(), format: 'pcap' }), 'format'],
      ['future version', JSON.stringify({ ...good(), format_version: 2 }), 'format_version'],
      ['no profile', JSON.stringify({ ...good(), profile: undefined }), 'profile'],
      ['unknown field', JSON.stringify({ ...good(), shellcode: 'x' }), 'shellcode'],
      ['port out of range', JSON.stringify({ ...good(), server: { ip: '10.0.0.8', port: 65_536 } }), 'server.port'],
      ['bad base64', JSON.stringify({ ...good(), dialog: [{ direction: 'to_server', time_offset_us: 0, data_base64: 'not base64!' }] }), 'dialog[0].data_base64'],
      ['negative offset', JSON.stringify({ ...good(), dialog: [{ direction: 'to_server', time_offset_us: -1, data_base64: 'AA==' }] }), 'dialog[0].time_offset_us'],
      ['bad direction', JSON.stringify({ ...good(), dialog: [{ direction: 'sideways', time_offset_us: 0, data_base64: 'AA==' }] }), 'dialog[0].direction'],
      ['unknown level', JSON.stringify({ ...good(), expected: { level: 'pwned', evidence_kinds: [] } }), 'expected.level'],
      ['unknown evidence kind', JSON.stringify({ ...good(), expected: { level: 'attempted', evidence_kinds: ['teleport'] } }), 'expected.evidence_kinds[0]'],
      ['fractional dwell', JSON.stringify({ ...good(), dwell_ms: 1.5 }), 'dwell_ms'],
      ['peers not an array', JSON.stringify({ ...good(), peers: {} }), 'peers'],
      ['unknown peer field', JSON.stringify({ ...good(), peers: [{ ...peer(), answer: 'x' }] }), 'peers[0].answer'],
      ['peer without destination', JSON.stringify({ ...good(), peers: [{ ...peer(), destination: undefined }] }), 'peers[0].destination'],
      ['peer port out of range', JSON.stringify({ ...good(), peers: [{ ...peer(), captured_client: { ip: '10.0.0.8', port: -1 } }] }), 'peers[0].captured_client.port'],
      ['bad peer turn', JSON.stringify({ ...good(), peers: [{ ...peer(), dialog: [{ direction: 'to_client', time_offset_us: 0, data_base64: '!' }] }] }), 'peers[0].dialog[0].data_base64'],
    ];
    for (const [name, text, key] of damaged) {
      assert.throws(
        () => decodeBundle(text, 'x/bundle.json'),
        (error: { code?: string; details?: { key?: string; file?: string }; message: string }) => {
          assert.equal(error.code, 'CT_ERR_BUNDLE_INVALID', name);
          assert.equal(error.details?.key, key, `${name}: ${error.message}`);
          assert.equal(error.details?.file, 'x/bundle.json');
          return true;
        },
      );
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        continue; // not JSON: nothing for the schema to say
      }
      assert.notEqual(schemaErrors('bundle.schema.json', parsed), '', `the schema also rejects: ${name}`);
    }
  });

  it('a missing bundle file is CT_ERR_BUNDLE_INVALID', async () => {
    await assert.rejects(readBundle(join(work, 'nothing-here.json')), { code: 'CT_ERR_BUNDLE_INVALID' });
  });
});
