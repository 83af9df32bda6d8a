import type { Frame } from '../core/index.ts';
import type { CaptureSummary } from './capture-summary.ts';

/** Where decoded frames go, shared by the pcap and pcapng decoders. */
export interface FrameTarget {
  onFrame: (frame: Frame) => void;
  /** the file name (or live source description) used in error messages */
  source: string;
  /** live streams report `fileOffset` -1 */
  live: boolean;
}

/**
 * One capture format's record layer. `CaptureParser` owns the bytes and the carry-over between
 * chunks; a decoder only ever sees whole records, so it never has to resume half-way through one.
 */
export interface RecordDecoder {
  /**
   * Total bytes of the record starting at `offset`, given `available` bytes there. A value above
   * `available` means "wait for more" (it may be just the header size while the header is still
   * incomplete). Throws CT_ERR_CAPTURE_CORRUPT for a length that cannot be valid.
   */
  recordLength(buffer: Buffer, offset: number, available: number, fileOffset: number): number;
  /**
   * Decodes every whole record in buffer[start, end) and returns where the first incomplete one
   * begins (`end` when none is). `fileOffset` is the file position of buffer[start].
   */
  decodeRecords(buffer: Buffer, start: number, end: number, fileOffset: number): number;
  summary(fileBytes: number): CaptureSummary;
}

/** The largest record either format may hold: a guard against hostile lengths, 256 MiB. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;
