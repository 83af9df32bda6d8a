import { open, type FileHandle } from 'node:fs/promises';
import { CrashtestError, type Frame } from '../core/index.ts';
import { CaptureParser } from './capture-parser.ts';
import type { CaptureSummary } from './capture-summary.ts';

export interface ReadCaptureFileOptions {
  /** stops the read between chunks; the promise rejects with the signal's reason */
  signal?: AbortSignal;
  /** bytes per read, default 2 MiB: large enough that syscalls cost nothing, small enough for cache */
  chunkBytes?: number;
}

const DEFAULT_CHUNK_BYTES = 2 * 1024 * 1024;
const MIN_CHUNK_BYTES = 4096;

/**
 * Streams a pcap or pcapng file of any size through `CaptureParser`, calling `onFrame` once per
 * frame, synchronously. Two buffers alternate so the next read runs in the thread pool while this
 * one is parsed; nothing is allocated per chunk.
 *
 * `frame.data` is valid only during the callback: its buffer is reused for a later read.
 *
 * Rejects with CT_ERR_CAPTURE_OPEN (cannot open or read), CT_ERR_CAPTURE_FORMAT (not a capture),
 * CT_ERR_CAPTURE_TRUNCATED or CT_ERR_CAPTURE_CORRUPT (with `details.file` and `details.offset`),
 * after every frame before the fault has been delivered; or with whatever `onFrame` threw.
 */
export async function readCaptureFile(
  path: string,
  onFrame: (frame: Frame) => void,
  options: ReadCaptureFileOptions = {},
): Promise<CaptureSummary> {
  const chunkBytes = Math.max(MIN_CHUNK_BYTES, Math.floor(options.chunkBytes ?? DEFAULT_CHUNK_BYTES));
  options.signal?.throwIfAborted();
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new CrashtestError('CT_ERR_CAPTURE_OPEN', `cannot open capture file ${path}: ${(error as Error).message}`, { file: path }, { cause: error });
  }
  const parser = new CaptureParser(onFrame, { source: path });
  const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  let position = 0;
  let pending: Promise<number> | null = null;
  const readInto = (buffer: Buffer, at: number): Promise<number> =>
    handle.read(buffer, 0, buffer.length, at).then(
      (result) => result.bytesRead,
      (error: Error) => {
        throw new CrashtestError('CT_ERR_CAPTURE_OPEN', `cannot read capture file ${path} at byte ${at}: ${error.message}`, { file: path, offset: at }, { cause: error });
      },
    );
  try {
    let current = 0;
    pending = readInto(buffers[current], position);
    while (true) {
      const bytesRead = await pending;
      pending = null;
      if (bytesRead === 0) break;
      position += bytesRead;
      options.signal?.throwIfAborted();
      // Start the next read into the other buffer before parsing this one.
      pending = readInto(buffers[1 - current], position);
      parser.push(bytesRead === chunkBytes ? buffers[current] : buffers[current].subarray(0, bytesRead));
      current = 1 - current;
    }
    return parser.end();
  } finally {
    // A read still in flight must finish before its file descriptor is closed.
    if (pending !== null) await pending.catch(() => undefined);
    await handle.close();
  }
}
