/**
 * The live sensor's capture spool and the evidence cut from it: frames read back as appended, the
 * ring bounded by file size and count (the oldest deleted and counted), a verdict's session.pcap cut
 * from the spool equal to the one `analyze --evidence` cuts from the capture file, and a verdict whose
 * frames were rotated away saying so in its evidence. No root: frames come from corpus files.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EvidenceWriter } from '../../src/alert/index.ts';
import { ethernet, ipv4, readCaptureFile, udp } from '../../src/capture/index.ts';
import { validateConfig } from '../../src/config/index.ts';
import { Counters, LinkType, type Frame } from '../../src/core/index.ts';
import { analyzeCaptures, verdictEvent, type VerdictRecord } from '../../src/daemon/index.ts';
import { writeEvidence } from '../../src/daemon/analyze-service.ts';
import { DashboardFeed } from '../../src/daemon/dashboard-feed.ts';
import { CaptureSpool } from '../../src/daemon/capture-spool.ts';
import { SpoolEvidence } from '../../src/daemon/spool-evidence.ts';
import { CORPUS_DIR } from '../helpers/veth-lab.ts';

const work = mkdtempSync(join(tmpdir(), 'crashtest-spool-'));
after(() => rmSync(work, { recursive: true, force: true }));

const CAPTURE = join(CORPUS_DIR, 'cve-2021-44228-log4shell-useragent-revshell.pcap');
const corpusMissing = existsSync(CAPTURE) ? false : `corpus file ${CAPTURE} not found`;

async function framesOf(path: string): Promise<Frame[]> {
  const frames: Frame[] = [];
  await readCaptureFile(path, (frame) => frames.push({ ...frame, data: Buffer.from(frame.data) }));
  return frames;
}

/** `count` UDP frames of `bytes` each between two hosts no verdict is about, one per millisecond from `startSeconds`. */
function fillerFrames(count: number, bytes: number, startSeconds: number): Frame[] {
  const packet = ethernet('02:00:00:00:00:01', '02:00:00:00:00:02', 0x0800, ipv4({ src: '192.0.2.200', dst: '192.0.2.201', protocol: 17 }, udp({ srcPort: 5000, dstPort: 5001 }, Buffer.alloc(bytes, 0x41))));
  return Array.from({ length: count }, (_, index) => {
    const nanoseconds = startSeconds * 1e9 + index * 1e6;
    return { seconds: Math.floor(nanoseconds / 1e9), nanoseconds: nanoseconds % 1e9, linkType: LinkType.ETHERNET, originalLength: packet.length, data: packet, interfaceId: 0, fileOffset: -1, index };
  });
}

function timeOf(frame: Frame): number {
  return frame.seconds + frame.nanoseconds / 1e9;
}

describe('capture spool', () => {
  it('gives back every appended frame, in order, with its bytes and time; close deletes its files', async () => {
    const dir = join(work, 'roundtrip');
    const counters = new Counters();
    const spool = new CaptureSpool({ dir, name: 'eth1', fileBytes: 64 * 1024 * 1024, files: 4, counters });
    const input = fillerFrames(500, 300, 1_700_000_000);
    for (const frame of input) spool.append(frame);
    const output: Frame[] = [];
    await spool.read(-Infinity, Infinity, (frame) => output.push({ ...frame, data: Buffer.from(frame.data) }));
    assert.equal(output.length, input.length);
    assert.deepEqual(
      output.map((frame) => [frame.seconds, frame.nanoseconds, frame.data.toString('hex')]),
      input.map((frame) => [frame.seconds, frame.nanoseconds, frame.data.toString('hex')]),
    );
    assert.deepEqual(readdirSync(dir), ['eth1-000001.pcap']);
    await spool.close();
    assert.deepEqual(readdirSync(dir), [], 'the spool served this run only');
    assert.equal(counters.get('sensor.spool.dropped_frames'), 0);
  });

  it('past `files` files the oldest is deleted and counted, and a read says up to when frames are gone', async () => {
    const dir = join(work, 'rotate');
    const counters = new Counters();
    const spool = new CaptureSpool({ dir, name: 'eth1', fileBytes: 100 * 1024, files: 3, counters });
    const input = fillerFrames(2_000, 1_000, 1_700_000_100); // ~2 MB through 100 KiB files
    for (const frame of input) spool.append(frame);
    const output: Frame[] = [];
    const coverage = await spool.read(-Infinity, Infinity, (frame) => output.push({ ...frame, data: Buffer.alloc(0) }));
    assert.ok(counters.get('sensor.spool.files_deleted') >= 15, `files deleted: ${counters.get('sensor.spool.files_deleted')}`);
    assert.equal(readdirSync(dir).length, 3, 'three files kept');
    assert.ok(output.length > 0 && output.length < input.length);
    // what remains is the newest frames, without a gap; the coverage names the newest frame deleted
    const firstKept = input.findIndex((frame) => timeOf(frame) === timeOf(output[0]!));
    assert.equal(output.length, input.length - firstKept);
    assert.equal(coverage.rotatedThroughSeconds, timeOf(input[firstKept - 1]!));
    assert.equal(coverage.droppedThroughSeconds, -Infinity);
    await spool.close();
  });

  it('a read for a time range reads the part of a file around it, not the whole file', async () => {
    const dir = join(work, 'range');
    const spool = new CaptureSpool({ dir, name: 'eth1', fileBytes: 64 * 1024 * 1024, files: 2, counters: new Counters() });
    // 5000 frames of ~1 kB, 10 ms apart: 50 s in one 5 MB file
    const input = fillerFrames(5_000, 1_000, 1_700_000_200).map((frame, index) => ({ ...frame, seconds: 1_700_000_200 + Math.floor(index / 100), nanoseconds: (index % 100) * 10_000_000 }));
    for (const frame of input) spool.append(frame);
    const window = input.slice(2_500, 2_510);
    const offered: number[] = [];
    await spool.read(timeOf(window[0]!), timeOf(window.at(-1)!), (frame) => offered.push(timeOf(frame)));
    for (const frame of window) assert.ok(offered.includes(timeOf(frame)), 'every frame in the range is offered');
    assert.ok(offered.length < input.length / 2, `offered ${offered.length} of ${input.length} frames`);
    const all: number[] = [];
    await spool.read(-Infinity, Infinity, (frame) => all.push(timeOf(frame)));
    assert.equal(all.length, input.length);
    await spool.close();
  });

  it('deletes the files a crashed run left behind, and only those', async () => {
    const dir = join(work, 'stale');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'eth1-000007.pcap'), 'old frames');
    writeFileSync(join(dir, 'eth2-000001.pcap'), 'another interface');
    writeFileSync(join(dir, 'notes.txt'), 'not the spool');
    const spool = new CaptureSpool({ dir, name: 'eth1', fileBytes: 1024 * 1024, files: 2, counters: new Counters() });
    assert.deepEqual(readdirSync(dir).sort(), ['eth2-000001.pcap', 'notes.txt']);
    await spool.close();
  });
});

describe('evidence frames from the spool', { skip: corpusMissing }, () => {
  async function analyzed(evidenceDir: string): Promise<VerdictRecord[]> {
    const records: VerdictRecord[] = [];
    await analyzeCaptures([CAPTURE], {
      onEvent: () => undefined,
      evidenceDir,
      observer: { verdict: (record) => records.push(record), response: () => undefined },
    });
    assert.ok(records.length > 0, 'the capture has a verdict');
    return records;
  }

  it("a verdict's session.pcap cut from the spool holds the frames analyze --evidence cuts from the file", async () => {
    const evidenceDir = join(work, 'analyze-evidence');
    const records = await analyzed(evidenceDir);
    const counters = new Counters();
    const config = validateConfig({ sensor: { evidenceDir: join(work, 'live-evidence') } }).sensor;
    const evidence = new SpoolEvidence(config, counters, () => undefined);
    const spool = evidence.spoolFor('eth1');
    // traffic before and after the attack on the spool too, at other times
    const input = await framesOf(CAPTURE);
    for (const frame of fillerFrames(200, 500, input[0]!.seconds - 10)) spool.append(frame);
    for (const frame of input) spool.append(frame);
    for (const frame of fillerFrames(200, 500, input.at(-1)!.seconds + 10)) spool.append(frame);
    evidence.noteSessions(records.map((record) => record.causalSession));
    const cuts = await evidence.cut(records);
    for (const record of records) {
      const cut = cuts.get(record)!;
      const folder = readdirSync(evidenceDir).find((name) => name.includes(`-flow-${record.sender.sessionId}-${record.level}-${record.profile}`))!;
      const offline = await framesOf(join(evidenceDir, folder, 'session.pcap'));
      assert.ok(offline.length > 0, 'analyze cut frames from the file');
      assert.deepEqual(
        cut.frames.map((frame) => `${timeOf(frame)} ${frame.data.toString('hex')}`),
        offline.map((frame) => `${timeOf(frame)} ${frame.data.toString('hex')}`),
      );
      assert.equal(cut.note, undefined, 'nothing was missing');
      const feed = new DashboardFeed(10);
      feed.noteVerdict(record, verdictEvent(record), join(evidenceDir, folder));
      assert.equal(feed.detail(record.sender.sessionId, record.profile)!.sessionNote, null);
    }
    assert.equal(counters.get('sensor.spool.evidence_rotated'), 0);
    await evidence.close();
    assert.deepEqual(readdirSync(evidence.dir), []);
  });

  it('frames rotated away before the verdict: an empty session.pcap with a note saying why, counted', async () => {
    const records = await analyzed(join(work, 'analyze-evidence-2'));
    const counters = new Counters();
    const config = validateConfig({ sensor: { evidenceDir: join(work, 'rotated-evidence'), spoolFileBytes: 1024 * 1024, spoolFiles: 2 } }).sensor;
    const evidence = new SpoolEvidence(config, counters, () => undefined);
    const spool = evidence.spoolFor('eth1');
    const input = await framesOf(CAPTURE);
    for (const frame of input) spool.append(frame);
    // 3 MB after the attack: more than the two 1 MiB files hold
    for (const frame of fillerFrames(3_000, 1_000, input.at(-1)!.seconds + 1)) spool.append(frame);
    const cuts = await evidence.cut(records);
    const record = records[0]!;
    const cut = cuts.get(record)!;
    assert.equal(cut.frames.length, 0);
    assert.match(cut.note ?? '', /no longer held this session[\s\S]*sensor\.spoolFiles/);
    assert.equal(counters.get('sensor.spool.evidence_rotated'), records.length);
    assert.ok(counters.get('sensor.spool.files_deleted') > 0);

    const written = await writeEvidence(new EvidenceWriter(config.evidenceDir), record, cut.frames, cut.note);
    assert.ok(readdirSync(written.dir).includes('session-note.txt'));
    assert.match(readFileSync(join(written.dir, 'session-note.txt'), 'utf8'), /no longer held this session/);
    assert.equal((await framesOf(join(written.dir, 'session.pcap'))).length, 0);
    // the dashboard's detail shows the note, and offers the file
    const feed = new DashboardFeed(10);
    feed.noteVerdict(record, verdictEvent(record, written.dir), written.dir);
    const detail = feed.detail(record.sender.sessionId, record.profile)!;
    assert.match(detail.sessionNote ?? '', /no longer held this session/);
    assert.ok(detail.evidenceFiles.some((file) => file.name === 'session-note.txt'));
    await evidence.close();
  });
});
