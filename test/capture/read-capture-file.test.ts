import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkType } from '../../src/core/index.ts';
import { buildPcapng, parseCaptureBuffer, readCaptureFile } from '../../src/capture/index.ts';
import { copyFrame, payload, type CopiedFrame } from './frames.ts';

const folder = mkdtempSync(join(tmpdir(), 'crashtest-read-'));
after(() => rmSync(folder, { recursive: true, force: true }));

const file = buildPcapng([
  {
    blocks: [
      { kind: 'interface', linkType: LinkType.ETHERNET },
      ...Array.from({ length: 200 }, (_, index) => ({
        kind: 'enhanced' as const,
        interfaceId: 0,
        seconds: index,
        nanoseconds: 0,
        data: payload(50 + ((index * 211) % 1400), index),
      })),
    ],
  },
]);
const path = join(folder, 'many.pcapng');
writeFileSync(path, file);

describe('readCaptureFile', () => {
  it('streams in small reused chunks with the same frames and offsets as the whole buffer', async () => {
    const whole: CopiedFrame[] = [];
    parseCaptureBuffer(file, (frame) => whole.push(copyFrame(frame)));
    const streamed: CopiedFrame[] = [];
    const summary = await readCaptureFile(path, (frame) => streamed.push(copyFrame(frame)), { chunkBytes: 4096 });
    assert.ok(file.length > 10 * 4096);
    assert.deepEqual(streamed, whole);
    assert.equal(summary.fileBytes, file.length);
  });

  it('stops between chunks when the signal aborts', async () => {
    const controller = new AbortController();
    let frames = 0;
    const reading = readCaptureFile(
      path,
      () => {
        frames += 1;
        if (frames === 3) controller.abort();
      },
      { chunkBytes: 4096, signal: controller.signal },
    );
    await assert.rejects(reading, { name: 'AbortError' });
    assert.ok(frames >= 3 && frames < 200, `${frames} frames before the abort took effect`);
  });

  it('passes on what onFrame throws', async () => {
    await assert.rejects(
      readCaptureFile(path, () => {
        throw new Error('consumer bug');
      }),
      /consumer bug/,
    );
  });
});
