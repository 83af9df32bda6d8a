/** Shared helpers for the capture tests: collect frames as plain, comparable copies. */
import type { Frame } from '../../src/core/index.ts';
import { CaptureParser, type CaptureSummary } from '../../src/capture/index.ts';

export interface CopiedFrame extends Omit<Frame, 'data'> {
  data: string;
}

/** Frames with their bytes copied out (the reader's views die after the callback). */
export function copyFrame(frame: Frame): CopiedFrame {
  return { ...frame, data: frame.data.toString('hex') };
}

/** Feeds `file` to a parser in slices of `chunkBytes`; returns frames, summary or error. */
export function parseInChunks(file: Buffer, chunkBytes: number, source = 'test.pcap'): { frames: CopiedFrame[]; summary?: CaptureSummary; error?: unknown } {
  const frames: CopiedFrame[] = [];
  const parser = new CaptureParser((frame) => frames.push(copyFrame(frame)), { source });
  try {
    for (let offset = 0; offset < file.length; offset += chunkBytes) {
      // copy each slice so a view into a stale chunk would show up as wrong bytes
      parser.push(Buffer.from(file.subarray(offset, offset + chunkBytes)));
    }
    return { frames, summary: parser.end() };
  } catch (error) {
    return { frames, error };
  }
}

/** A frame's worth of recognisable bytes. */
export function payload(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) bytes[index] = (index * 7 + seed * 13) & 0xff;
  return bytes;
}
