import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCrashtestError, LinkType, type ErrorCode } from '../../src/core/index.ts';
import { buildPcap, buildPcapng, readCaptureFile } from '../../src/capture/index.ts';
import { parseInChunks, payload } from './frames.ts';

const records = [payload(100, 1), payload(200, 2), payload(300, 3)];
const pcap = buildPcap(
  LinkType.ETHERNET,
  records.map((data, index) => ({ seconds: index, nanoseconds: 0, data })),
);
/** file offsets of the three pcap records */
const pcapOffsets = [24, 24 + 116, 24 + 116 + 216];

const pcapng = buildPcapng([
  {
    blocks: [
      { kind: 'interface', linkType: LinkType.ETHERNET },
      ...records.map((data, index) => ({ kind: 'enhanced' as const, interfaceId: 0, seconds: index, nanoseconds: 0, data })),
    ],
  },
]);
/** SHB 28, IDB 20, then EPBs of 32 + padded data */
const pcapngOffsets = [48, 48 + 132, 48 + 132 + 232];

function expectFailure(file: Buffer, code: ErrorCode, offset: number, framesBefore: number): void {
  for (const chunkBytes of [1, 7, 4096, file.length]) {
    const { frames, error } = parseInChunks(file, chunkBytes, 'damaged.cap');
    assert.equal(frames.length, framesBefore, `frames before the fault (chunks of ${chunkBytes})`);
    assert.ok(isCrashtestError(error, code), `expected ${code}, got ${String(error)}`);
    assert.deepEqual(error.details, { file: 'damaged.cap', offset }, error.message);
    assert.match(error.message, new RegExp(`^damaged\\.cap at byte ${offset}: `));
  }
}

const patched = (file: Buffer, patch: (copy: Buffer) => void): Buffer => {
  const copy = Buffer.from(file);
  patch(copy);
  return copy;
};

describe('damaged pcap', () => {
  it('empty file: truncated at 0', () => expectFailure(Buffer.alloc(0), 'CT_ERR_CAPTURE_TRUNCATED', 0, 0));
  it('cut in the magic: truncated at 0', () => expectFailure(pcap.subarray(0, 3), 'CT_ERR_CAPTURE_TRUNCATED', 0, 0));
  it('cut in the file header: truncated at 0', () => expectFailure(pcap.subarray(0, 20), 'CT_ERR_CAPTURE_TRUNCATED', 0, 0));
  it('cut in a record header', () => expectFailure(pcap.subarray(0, pcapOffsets[2] + 9), 'CT_ERR_CAPTURE_TRUNCATED', pcapOffsets[2], 2));
  it('cut in record data', () => expectFailure(pcap.subarray(0, pcapOffsets[1] + 40), 'CT_ERR_CAPTURE_TRUNCATED', pcapOffsets[1], 1));
  it('unknown magic: format error', () =>
    expectFailure(patched(pcap, (copy) => copy.writeUInt32BE(0xdeadbeef, 0)), 'CT_ERR_CAPTURE_FORMAT', 0, 0));
  it('captured length beyond any snaplen: corrupt', () =>
    expectFailure(patched(pcap, (copy) => copy.writeUInt32LE(0x7fffffff, pcapOffsets[1] + 8)), 'CT_ERR_CAPTURE_CORRUPT', pcapOffsets[1], 1));
  it('a hostile 200 MiB length in a small file is reported, not allocated', () => {
    const file = patched(buildPcap(LinkType.ETHERNET, [], { snaplen: 0x7fffffff }), () => undefined);
    const record = Buffer.alloc(16);
    record.writeUInt32LE(200 * 1024 * 1024, 8);
    const before = process.memoryUsage().arrayBuffers;
    expectFailure(Buffer.concat([file, record, payload(100, 1)]), 'CT_ERR_CAPTURE_TRUNCATED', 24, 0);
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024);
  });
});

describe('damaged pcapng', () => {
  it('cut in the section header: truncated at 0', () => expectFailure(pcapng.subarray(0, 10), 'CT_ERR_CAPTURE_TRUNCATED', 0, 0));
  it('cut in a block', () => expectFailure(pcapng.subarray(0, pcapngOffsets[2] + 50), 'CT_ERR_CAPTURE_TRUNCATED', pcapngOffsets[2], 2));
  it('total length not a multiple of 4: corrupt', () =>
    expectFailure(patched(pcapng, (copy) => copy.writeUInt32LE(133, pcapngOffsets[1] + 4)), 'CT_ERR_CAPTURE_CORRUPT', pcapngOffsets[1], 1));
  it('total length below 12: corrupt', () =>
    expectFailure(patched(pcapng, (copy) => copy.writeUInt32LE(8, pcapngOffsets[1] + 4)), 'CT_ERR_CAPTURE_CORRUPT', pcapngOffsets[1], 1));
  it('trailing total length differs: corrupt', () =>
    expectFailure(patched(pcapng, (copy) => copy.writeUInt32LE(236, pcapngOffsets[2] - 4)), 'CT_ERR_CAPTURE_CORRUPT', pcapngOffsets[1], 1));
  it('captured length larger than the block: corrupt', () =>
    expectFailure(patched(pcapng, (copy) => copy.writeUInt32LE(5000, pcapngOffsets[2] + 20)), 'CT_ERR_CAPTURE_CORRUPT', pcapngOffsets[2], 2));
  it('bad byte-order magic: format error', () =>
    expectFailure(patched(pcapng, (copy) => copy.writeUInt32LE(0x11223344, 8)), 'CT_ERR_CAPTURE_FORMAT', 0, 0));
  it('a block before any section header: format error', () =>
    expectFailure(pcapng.subarray(28), 'CT_ERR_CAPTURE_FORMAT', 0, 0));
});

describe('readCaptureFile on damaged files', () => {
  const folder = mkdtempSync(join(tmpdir(), 'crashtest-damaged-'));
  it('delivers the frames before the fault, then rejects naming the file and offset', async (t) => {
    t.after(() => rmSync(folder, { recursive: true, force: true }));
    const path = join(folder, 'cut.pcap');
    writeFileSync(path, pcap.subarray(0, pcapOffsets[2] + 5));
    let frames = 0;
    await assert.rejects(
      readCaptureFile(path, () => (frames += 1), { chunkBytes: 4096 }),
      (error: unknown) =>
        isCrashtestError(error, 'CT_ERR_CAPTURE_TRUNCATED') &&
        error.details.file === path &&
        error.details.offset === pcapOffsets[2] &&
        error.message.includes(path),
    );
    assert.equal(frames, 2);
  });

  it('a missing file is CT_ERR_CAPTURE_OPEN', async () => {
    await assert.rejects(readCaptureFile(join(folder, 'absent.pcap'), () => undefined), (error: unknown) => isCrashtestError(error, 'CT_ERR_CAPTURE_OPEN'));
  });
});
