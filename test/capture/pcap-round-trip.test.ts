import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LinkType } from '../../src/core/index.ts';
import { buildPcap, parseCaptureBuffer, type FrameLike } from '../../src/capture/index.ts';
import { copyFrame, payload, type CopiedFrame } from './frames.ts';

const frames: FrameLike[] = [
  { seconds: 1_700_000_000, nanoseconds: 123_456_789, data: payload(60, 1) },
  { seconds: 1_700_000_001, nanoseconds: 0, data: payload(1514, 2) },
  { seconds: 1_700_000_002, nanoseconds: 999_999_999, data: payload(0, 3), originalLength: 40 },
  { seconds: 4_294_967_295, nanoseconds: 1_000, data: payload(9000, 4) },
];

function read(file: Buffer): { frames: CopiedFrame[]; summary: ReturnType<typeof parseCaptureBuffer> } {
  const seen: CopiedFrame[] = [];
  const summary = parseCaptureBuffer(file, (frame) => seen.push(copyFrame(frame)));
  return { frames: seen, summary };
}

describe('pcap round trip', () => {
  for (const precision of ['micro', 'nano'] as const) {
    for (const byteOrder of ['little', 'big'] as const) {
      it(`${precision}seconds, ${byteOrder}-endian`, () => {
        const file = buildPcap(LinkType.LINUX_SLL, frames, { precision, byteOrder, snaplen: 65535 });
        const magic = file.readUInt32BE(0);
        const expectedMagic = precision === 'micro' ? 0xa1b2c3d4 : 0xa1b23c4d;
        assert.equal(byteOrder === 'big' ? magic : file.readUInt32LE(0), expectedMagic);
        const { frames: seen, summary } = read(file);
        assert.equal(seen.length, frames.length);
        let offset = 24;
        seen.forEach((frame, index) => {
          const written = frames[index];
          const nanoseconds = precision === 'micro' ? Math.floor(written.nanoseconds / 1000) * 1000 : written.nanoseconds;
          assert.deepEqual(frame, {
            seconds: written.seconds,
            nanoseconds,
            linkType: LinkType.LINUX_SLL,
            originalLength: written.originalLength ?? written.data.length,
            data: written.data.toString('hex'),
            interfaceId: 0,
            fileOffset: offset,
            index,
          });
          offset += 16 + written.data.length;
        });
        assert.equal(summary.format, 'pcap');
        assert.equal(summary.frames, 4);
        assert.equal(summary.bytes, 60 + 1514 + 9000);
        assert.equal(summary.fileBytes, file.length);
        assert.deepEqual(summary.linkTypes, [LinkType.LINUX_SLL]);
        assert.equal(summary.interfaces[0].snaplen, 65535);
        assert.equal(summary.interfaces[0].timestampResolution, precision === 'micro' ? '10^-6' : '10^-9');
      });
    }
  }

  it('cuts frames to the snaplen and keeps the original length', () => {
    const file = buildPcap(LinkType.ETHERNET, [{ seconds: 1, nanoseconds: 0, data: payload(200, 9) }], { snaplen: 64 });
    const { frames: seen } = read(file);
    assert.equal(seen[0].data, payload(64, 9).toString('hex'));
    assert.equal(seen[0].originalLength, 200);
  });

  it('passes unknown link types through', () => {
    const { summary, frames: seen } = read(buildPcap(147, [frames[0]]));
    assert.deepEqual(summary.linkTypes, [147]);
    assert.equal(seen[0].linkType, 147);
  });

  it('reads a header-only file as zero frames', () => {
    const { summary } = read(buildPcap(LinkType.RAW, []));
    assert.equal(summary.frames, 0);
    assert.deepEqual(summary.linkTypes, [LinkType.RAW]);
  });

  it('carries an overflowing microsecond field into the seconds', () => {
    const file = buildPcap(LinkType.ETHERNET, [{ seconds: 10, nanoseconds: 0, data: payload(20, 1) }]);
    file.writeUInt32LE(2_500_000, 24 + 4);
    const { frames: seen } = read(file);
    assert.equal(seen[0].seconds, 12);
    assert.equal(seen[0].nanoseconds, 500_000_000);
  });

  it("reads Kuznetsov's modified format (a1b2cd34, 24-byte record headers)", () => {
    const classic = buildPcap(LinkType.ETHERNET, frames.slice(0, 2));
    const first = 16 + frames[0].data.length;
    const modified = Buffer.concat([
      classic.subarray(0, 24),
      classic.subarray(24, 40),
      Buffer.alloc(8, 0xee),
      classic.subarray(40, 24 + first),
      classic.subarray(24 + first, 24 + first + 16),
      Buffer.alloc(8, 0xee),
      classic.subarray(24 + first + 16),
    ]);
    modified.writeUInt32LE(0xa1b2cd34, 0);
    const { frames: seen } = read(modified);
    assert.deepEqual(
      seen.map((frame) => [frame.data, frame.fileOffset]),
      [
        [frames[0].data.toString('hex'), 24],
        [frames[1].data.toString('hex'), 24 + 24 + frames[0].data.length],
      ],
    );
  });
});
