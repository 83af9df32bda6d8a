import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkType } from '../../src/core/index.ts';
import { buildPcapng, parseCaptureBuffer, PcapngBlockType, type PcapngSectionSpec } from '../../src/capture/index.ts';
import { copyFrame, payload, type CopiedFrame } from './frames.ts';

/** What a reader must make of a timestamp written at `resolution` (rounded down both ways). */
function expectedTime(seconds: number, nanoseconds: number, tsresol: number, tsoffset = 0): { seconds: number; nanoseconds: number } {
  const exponent = BigInt(tsresol & 0x7f);
  const perSecond = (tsresol & 0x80) !== 0 ? 2n ** exponent : 10n ** exponent;
  const units = ((BigInt(seconds - tsoffset) * 10n ** 9n + BigInt(nanoseconds)) * perSecond) / 10n ** 9n;
  const whole = units / perSecond;
  return { seconds: Number(whole) + tsoffset, nanoseconds: Number(((units - whole * perSecond) * 10n ** 9n) / perSecond) };
}

const T = 1_700_000_000;

/** A Decryption Secrets Block body (little-endian): TLS key log type, length, text. */
function decryptionSecrets(text: string): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(0x544c534b, 0);
  header.writeUInt32LE(text.length, 4);
  return Buffer.concat([header, Buffer.from(text)]);
}

const sections: PcapngSectionSpec[] = [
  {
    byteOrder: 'little',
    blocks: [
      { kind: 'interface', linkType: LinkType.ETHERNET, name: 'eth0' },
      { kind: 'raw', type: PcapngBlockType.NAME_RESOLUTION, body: Buffer.from('01000800c0a8000178797a0000000000', 'hex') },
      { kind: 'interface', linkType: LinkType.RAW, snaplen: 128, tsresol: 9, tsoffset: 1000 },
      { kind: 'enhanced', interfaceId: 0, seconds: T, nanoseconds: 123_456_789, data: payload(60, 1) },
      { kind: 'enhanced', interfaceId: 1, seconds: T + 1, nanoseconds: 987_654_321, data: payload(41, 2), originalLength: 1400, comment: 'hello' },
      { kind: 'raw', type: 0x12345678, body: payload(13, 3) },
      { kind: 'raw', type: PcapngBlockType.CUSTOM, body: payload(20, 4) },
      { kind: 'raw', type: PcapngBlockType.DECRYPTION_SECRETS, body: decryptionSecrets('CLIENT_RANDOM 00 11\n') },
      { kind: 'statistics', interfaceId: 1, ifDrop: 7 },
      { kind: 'packet', interfaceId: 0, seconds: T + 2, nanoseconds: 5_000, data: payload(70, 6), drops: 2 },
    ],
  },
  {
    byteOrder: 'big',
    blocks: [
      { kind: 'interface', linkType: LinkType.LINUX_SLL2, snaplen: 100, tsresol: 0x80 | 20 },
      { kind: 'interface', linkType: LinkType.IPV6, tsresol: 0x80 | 3 },
      { kind: 'simple', data: payload(300, 7) },
      { kind: 'enhanced', interfaceId: 1, seconds: T + 3, nanoseconds: 750_000_000, data: payload(80, 8) },
      { kind: 'packet', interfaceId: 0, seconds: T + 4, nanoseconds: 333_333_333, data: payload(90, 9) },
      { kind: 'enhanced', interfaceId: 0, seconds: T + 5, nanoseconds: 1, data: payload(99, 10) },
      { kind: 'statistics', interfaceId: 0, ifDrop: 3 },
    ],
  },
];

const expected = [
  { ...expectedTime(T, 123_456_789, 6), linkType: LinkType.ETHERNET, originalLength: 60, data: payload(60, 1), interfaceId: 0, type: 6 },
  { ...expectedTime(T + 1, 987_654_321, 9, 1000), linkType: LinkType.RAW, originalLength: 1400, data: payload(41, 2), interfaceId: 1, type: 6 },
  { ...expectedTime(T + 2, 5_000, 6), linkType: LinkType.ETHERNET, originalLength: 70, data: payload(70, 6), interfaceId: 0, type: 2 },
  { seconds: 0, nanoseconds: 0, linkType: LinkType.LINUX_SLL2, originalLength: 300, data: payload(100, 7), interfaceId: 2, type: 3 },
  { ...expectedTime(T + 3, 750_000_000, 0x83), linkType: LinkType.IPV6, originalLength: 80, data: payload(80, 8), interfaceId: 3, type: 6 },
  { ...expectedTime(T + 4, 333_333_333, 0x94), linkType: LinkType.LINUX_SLL2, originalLength: 90, data: payload(90, 9), interfaceId: 2, type: 2 },
  { ...expectedTime(T + 5, 1, 0x94), linkType: LinkType.LINUX_SLL2, originalLength: 99, data: payload(99, 10), interfaceId: 2, type: 6 },
];

describe('pcapng round trip', () => {
  const file = buildPcapng(sections);

  it('reads every packet block kind across two sections of different byte order', () => {
    const frames: CopiedFrame[] = [];
    const summary = parseCaptureBuffer(file, (frame) => frames.push(copyFrame(frame)), 'two-sections.pcapng');
    assert.equal(frames.length, expected.length);
    frames.forEach((frame, index) => {
      const want = expected[index];
      assert.deepEqual(
        { ...frame, fileOffset: undefined },
        {
          seconds: want.seconds,
          nanoseconds: want.nanoseconds,
          linkType: want.linkType,
          originalLength: want.originalLength,
          data: want.data.toString('hex'),
          interfaceId: want.interfaceId,
          fileOffset: undefined,
          index,
        },
        `frame ${index}`,
      );
      const bigEndian = frame.interfaceId >= 2;
      const blockType = bigEndian ? file.readUInt32BE(frame.fileOffset) : file.readUInt32LE(frame.fileOffset);
      assert.equal(blockType, want.type, `frame ${index} points at its block`);
    });
    assert.equal(summary.format, 'pcapng');
    assert.equal(summary.frames, expected.length);
    assert.equal(summary.fileBytes, file.length);
    assert.deepEqual(summary.linkTypes, [LinkType.ETHERNET, LinkType.RAW, LinkType.LINUX_SLL2, LinkType.IPV6]);
    assert.deepEqual(
      summary.interfaces.map((info) => [info.id, info.section, info.snaplen, info.timestampResolution, info.timestampOffsetSeconds, info.name]),
      [
        [0, 0, 0, '10^-6', 0, 'eth0'],
        [1, 0, 128, '10^-9', 1000, undefined],
        [2, 1, 100, '2^-20', 0, undefined],
        [3, 1, 0, '2^-3', 0, undefined],
      ],
    );
    assert.deepEqual(summary.interfaceDrops, { 1: 7, 2: 3 });
  });

  it('agrees with tshark on times, lengths and interfaces', { skip: tsharkMissing() }, () => {
    const folder = mkdtempSync(join(tmpdir(), 'crashtest-pcapng-'));
    try {
      const path = join(folder, 'two-sections.pcapng');
      // tshark lists custom blocks as records of their own, so leave that one out here
      const withoutCustom = sections.map((section) => ({
        ...section,
        blocks: section.blocks.filter((block) => block.kind !== 'raw' || block.type !== PcapngBlockType.CUSTOM),
      }));
      const file = buildPcapng(withoutCustom);
      writeFileSync(path, file);
      const fields = ['frame.interface_id', 'frame.time_epoch', 'frame.cap_len', 'frame.len'];
      const result = spawnSync('tshark', ['-r', path, '-T', 'fields', ...fields.flatMap((field) => ['-e', field])], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      const rows = result.stdout.trim().split('\n').map((line) => line.split('\t'));
      const frames: CopiedFrame[] = [];
      const summary = parseCaptureBuffer(file, (frame) => frames.push(copyFrame(frame)));
      assert.equal(rows.length, frames.length);
      // tshark 4.0 numbers interfaces within their section; ours are global across sections
      const sectionStart = summary.interfaces.map((info) => summary.interfaces.findIndex((other) => other.section === info.section));
      frames.forEach((frame, index) => {
        const [interfaceId, time, captured, original] = rows[index];
        // tshark has no time for a Simple Packet Block; every other row must match exactly
        if (expected[index].type !== 3) assert.equal(time, `${frame.seconds}.${String(frame.nanoseconds).padStart(9, '0')}`, `frame ${index} time`);
        assert.equal(Number(interfaceId), frame.interfaceId - sectionStart[frame.interfaceId], `frame ${index} interface`);
        assert.equal(Number(captured), frame.data.length / 2);
        assert.equal(Number(original), frame.originalLength);
      });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('rejects a packet for an undeclared interface with its offset', () => {
    const bad = buildPcapng([{ blocks: [{ kind: 'interface', linkType: 1 }, { kind: 'enhanced', interfaceId: 0, seconds: 1, nanoseconds: 0, data: payload(10, 1) }] }]);
    const epbOffset = 28 + 20;
    bad.writeUInt32LE(5, epbOffset + 8);
    assert.throws(
      () => parseCaptureBuffer(bad, () => undefined, 'bad.pcapng'),
      (error: { code: string; details: { offset: number } }) => error.code === 'CT_ERR_CAPTURE_CORRUPT' && error.details.offset === epbOffset,
    );
  });
});

function tsharkMissing(): string | false {
  return spawnSync('tshark', ['--version']).status === 0 ? false : 'tshark is not installed';
}
