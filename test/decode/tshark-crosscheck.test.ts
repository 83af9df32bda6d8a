/**
 * Decodes every corpus capture and compares each frame with tshark: addresses, ports, TCP sequence
 * number and payload length. tshark reassembles IP fragments and attributes the datagram to the
 * last fragment's frame, as the decoder does; frames the decoder holds (non-final fragments) are
 * only checked to carry no transport fields in tshark either.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Counters, type Packet } from '../../src/core/index.ts';
import { defaultConfig } from '../../src/config/index.ts';
import { parseCaptureBuffer, readCaptureFile } from '../../src/capture/index.ts';
import { PacketDecoder } from '../../src/decode/index.ts';
import { corpusCaptures, skipWithoutCorpus } from '../helpers/corpus.ts';

const FIELDS = ['frame.number', 'ip.src', 'ip.dst', 'ip.proto', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.len', 'udp.srcport', 'udp.dstport'] as const;
type Row = Record<(typeof FIELDS)[number], string>;

const TSHARK_OPTIONS = ['-n', '-o', 'tcp.desegment_tcp_streams:FALSE', '-o', 'tcp.analyze_sequence_numbers:FALSE'];

function parseRows(output: string): Row[] {
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const values = line.split('\t');
      return Object.fromEntries(FIELDS.map((field, index) => [field, values[index] ?? ''])) as Row;
    });
}

function runTshark(path: string): Row[] {
  const args = ['-r', path, ...TSHARK_OPTIONS, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f', ...FIELDS.flatMap((field) => ['-e', field])];
  return parseRows(execFileSync('tshark', args, { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
}

/**
 * tshark's rows for every capture, keyed by file and frame number. Starting tshark costs more than
 * most captures take to dissect, so the captures are concatenated with mergecap into one pcapng
 * (one interface per file keeps each link type) and dissected in one run.
 */
function tsharkRowsByFile(paths: string[]): Map<string, Map<number, Row>> {
  const frameCounts = paths.map((path) => {
    let count = 0;
    parseCaptureBuffer(readFileSync(path), () => count++, path);
    return count;
  });
  const dir = mkdtempSync(join(tmpdir(), 'crashtest-tshark-'));
  let rows: Row[];
  try {
    const merged = join(dir, 'corpus.pcapng');
    execFileSync('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...paths], { stdio: 'ignore' });
    rows = runTshark(merged);
  } catch {
    rows = paths.flatMap((path) => runTshark(path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const byFile = new Map<string, Map<number, Row>>();
  let cursor = 0;
  paths.forEach((path, fileIndex) => {
    const fileRows = new Map<number, Row>();
    for (let number = 1; number <= frameCounts[fileIndex]!; number++) {
      const row = rows[cursor++];
      if (row !== undefined) fileRows.set(number, row);
    }
    byFile.set(path, fileRows);
  });
  return byFile;
}

function compare(packet: Packet, row: Row): string[] {
  const problems: string[] = [];
  const expect = (what: string, ours: string | number, theirs: string): void => {
    if (String(ours) !== theirs) problems.push(`${what}: ours ${ours}, tshark ${theirs}`);
  };
  const ip = packet.ip;
  if (ip === null) {
    if (row['ip.src'] !== '' || row['ipv6.src'] !== '') problems.push(`no IP decoded, tshark has ${row['ip.src']}${row['ipv6.src']}`);
    return problems;
  }
  if (ip.version === 4) {
    expect('ip.src', ip.src, row['ip.src']);
    expect('ip.dst', ip.dst, row['ip.dst']);
  } else {
    expect('ipv6.src', ip.src, row['ipv6.src']);
    expect('ipv6.dst', ip.dst, row['ipv6.dst']);
  }
  const tsharkSaysTcp = ip.version === 4 ? row['ip.proto'] === '6' : row['tcp.srcport'] !== '';
  if (packet.tcp !== null || tsharkSaysTcp) {
    expect('tcp.srcport', packet.tcp?.srcPort ?? 'none', row['tcp.srcport'] || 'none');
    expect('tcp.dstport', packet.tcp?.dstPort ?? 'none', row['tcp.dstport'] || 'none');
    expect('tcp.seq_raw', packet.tcp?.seq ?? 'none', row['tcp.seq_raw'] || 'none');
    const snapped = packet.frame.originalLength > packet.frame.data.length || packet.anomalies.includes('ipv4_zero_total_length');
    if (!snapped) expect('tcp.len', packet.tcp === null ? 'none' : packet.payload.length, row['tcp.len'] || 'none');
  }
  if (packet.udp !== null) {
    expect('udp.srcport', packet.udp.srcPort, row['udp.srcport']);
    expect('udp.dstport', packet.udp.dstPort, row['udp.dstport']);
  }
  return problems;
}

const captures = corpusCaptures();
const tsharkMissing = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status !== 0 ? 'tshark not installed' : false;
let rowsByFile: Map<string, Map<number, Row>> | null = null;

for (const path of captures.length > 0 ? captures : ['(no corpus)']) {
  test(`decode agrees with tshark: ${basename(path)}`, { skip: skipWithoutCorpus() || tsharkMissing }, async () => {
    rowsByFile ??= tsharkRowsByFile(captures);
    const rows = rowsByFile.get(path)!;
    const decoder = new PacketDecoder(defaultConfig().decode, new Counters());
    const problems: string[] = [];
    let frames = 0;
    await readCaptureFile(path, (frame) => {
      frames++;
      const number = frame.index + 1;
      const row = rows.get(number);
      const packet = decoder.decode(frame);
      if (row === undefined) {
        problems.push(`frame ${number}: tshark has no row`);
        return;
      }
      if (packet === null) {
        if (row['tcp.srcport'] !== '' || row['udp.srcport'] !== '') problems.push(`frame ${number}: held as a fragment, tshark decoded transport`);
        return;
      }
      for (const problem of compare(packet, row)) problems.push(`frame ${number}: ${problem}`);
    });
    assert.equal(frames, rows.size, 'frame count');
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} disagreements`);
  });
}
