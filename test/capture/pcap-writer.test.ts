import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCrashtestError, LinkType } from '../../src/core/index.ts';
import { buildPcap, parseCaptureBuffer, PcapWriter, readCaptureFile, type FrameLike } from '../../src/capture/index.ts';
import { copyFrame, payload, type CopiedFrame } from './frames.ts';

const folder = mkdtempSync(join(tmpdir(), 'crashtest-writer-'));
after(() => rmSync(folder, { recursive: true, force: true }));

const frames: FrameLike[] = Array.from({ length: 500 }, (_, index) => ({
  seconds: 1_600_000_000 + index,
  nanoseconds: index * 1_000_001,
  data: payload(index * 37 % 4000, index),
}));

describe('PcapWriter', () => {
  for (const precision of ['micro', 'nano'] as const) {
    it(`streams ${precision}second frames that read back as buildPcap builds them`, async () => {
      const path = join(folder, `${precision}.pcap`);
      // a small buffer so many hand-offs to the file happen
      const writer = await PcapWriter.open(path, { linkType: LinkType.IPV4, precision, snaplen: 3000, bufferBytes: 65536 });
      for (const frame of frames) writer.write(frame);
      await writer.close();
      assert.equal(writer.frames, frames.length);
      const written = readFileSync(path);
      assert.ok(written.equals(buildPcap(LinkType.IPV4, frames, { precision, snaplen: 3000 })));
      const seen: CopiedFrame[] = [];
      const summary = await readCaptureFile(path, (frame) => seen.push(copyFrame(frame)));
      assert.equal(summary.frames, frames.length);
      assert.equal(seen[123].data, payload(123 * 37 % 4000, 123).subarray(0, 3000).toString('hex'));
      assert.equal(seen[123].originalLength, 123 * 37 % 4000);
    });
  }

  it('close() is idempotent, use after close throws CT_ERR_INVALID_STATE', async () => {
    const writer = await PcapWriter.open(join(folder, 'closed.pcap'), { linkType: LinkType.ETHERNET });
    writer.write(frames[1]);
    const first = writer.close();
    assert.equal(writer.close(), first);
    await first;
    assert.equal(writer.closed, true);
    assert.throws(() => writer.write(frames[2]), (error: unknown) => isCrashtestError(error, 'CT_ERR_INVALID_STATE'));
    await assert.rejects(writer.flush(), (error: unknown) => isCrashtestError(error, 'CT_ERR_INVALID_STATE'));
    let count = 0;
    parseCaptureBuffer(readFileSync(join(folder, 'closed.pcap')), () => (count += 1));
    assert.equal(count, 1);
  });

  it('destroy() drops buffered frames and closes', async () => {
    const writer = await PcapWriter.open(join(folder, 'destroyed.pcap'), { linkType: LinkType.ETHERNET });
    writer.write(frames[1]);
    writer.destroy();
    writer.destroy();
    assert.equal(writer.closed, true);
    await writer.close();
    assert.throws(() => writer.write(frames[2]), (error: unknown) => isCrashtestError(error, 'CT_ERR_INVALID_STATE'));
  });

  it('an unwritable path is CT_ERR_CAPTURE_WRITE; bad options are CT_ERR_INVALID_ARGUMENT', async () => {
    await assert.rejects(PcapWriter.open(join(folder, 'no', 'such', 'dir.pcap'), { linkType: 1 }), (error: unknown) =>
      isCrashtestError(error, 'CT_ERR_CAPTURE_WRITE'),
    );
    await assert.rejects(PcapWriter.open(join(folder, 'x.pcap'), { linkType: 70000 }), (error: unknown) => isCrashtestError(error, 'CT_ERR_INVALID_ARGUMENT'));
  });
});
