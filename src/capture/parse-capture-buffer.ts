import type { Frame } from '../core/index.ts';
import { CaptureParser } from './capture-parser.ts';
import type { CaptureSummary } from './capture-summary.ts';

/**
 * Parses a whole pcap or pcapng file held in memory, synchronously (tests, fuzzing, small
 * evidence files). `frame.data` views `buffer` and stays valid as long as the buffer does.
 * Throws like `readCaptureFile` rejects, after delivering every frame before the fault.
 */
export function parseCaptureBuffer(buffer: Buffer, onFrame: (frame: Frame) => void, source = 'buffer'): CaptureSummary {
  const parser = new CaptureParser(onFrame, { source });
  parser.push(buffer);
  return parser.end();
}
