import type { CaptureSummary } from './capture-summary.ts';
import { captureError } from './capture-error.ts';
import { MAX_RECORD_BYTES, type FrameTarget, type RecordDecoder } from './record-decoder.ts';

/** pcap magic numbers as the first four bytes read big-endian. */
export const PcapMagic = {
  MICROSECONDS_BIG: 0xa1b2c3d4,
  MICROSECONDS_LITTLE: 0xd4c3b2a1,
  NANOSECONDS_BIG: 0xa1b23c4d,
  NANOSECONDS_LITTLE: 0x4d3cb2a1,
  /** Alexey Kuznetsov's patched libpcap: 8 more bytes per record header (ifindex, protocol, type) */
  MODIFIED_BIG: 0xa1b2cd34,
  MODIFIED_LITTLE: 0x34cdb2a1,
} as const;

const FILE_HEADER_BYTES = 24;
/** libpcap accepts captured lengths up to this even when the header's snaplen is smaller */
const LIBPCAP_MAX_SNAPLEN = 262_144;

export function isPcapMagic(magic: number): boolean {
  return Object.values(PcapMagic).includes(magic as never);
}

/**
 * Classic libpcap files: a 24-byte file header, then records of a 16-byte header (seconds,
 * fraction, captured length, original length) and the captured bytes.
 */
export class PcapRecordDecoder implements RecordDecoder {
  private readonly littleEndian: boolean;
  /** nanoseconds per unit of the record's fraction field */
  private readonly fractionNanoseconds: number;
  private readonly recordHeaderBytes: number;
  private fileHeaderRead = false;
  private linkType = 0;
  private snaplen = 0;
  private maxCapturedBytes = LIBPCAP_MAX_SNAPLEN;
  private frames = 0;
  private capturedBytes = 0;

  constructor(
    magic: number,
    private readonly target: FrameTarget,
  ) {
    this.littleEndian =
      magic === PcapMagic.MICROSECONDS_LITTLE || magic === PcapMagic.NANOSECONDS_LITTLE || magic === PcapMagic.MODIFIED_LITTLE;
    this.fractionNanoseconds = magic === PcapMagic.NANOSECONDS_BIG || magic === PcapMagic.NANOSECONDS_LITTLE ? 1 : 1000;
    this.recordHeaderBytes = magic === PcapMagic.MODIFIED_BIG || magic === PcapMagic.MODIFIED_LITTLE ? 24 : 16;
  }

  recordLength(buffer: Buffer, offset: number, available: number, fileOffset: number): number {
    if (!this.fileHeaderRead) return FILE_HEADER_BYTES;
    if (available < this.recordHeaderBytes) return this.recordHeaderBytes;
    const captured = this.littleEndian ? buffer.readUInt32LE(offset + 8) : buffer.readUInt32BE(offset + 8);
    if (captured > this.maxCapturedBytes) throw this.impossibleLength(captured, fileOffset);
    return this.recordHeaderBytes + captured;
  }

  decodeRecords(buffer: Buffer, start: number, end: number, fileOffset: number): number {
    let offset = start;
    if (!this.fileHeaderRead) {
      if (end - offset < FILE_HEADER_BYTES) return offset;
      this.readFileHeader(buffer, offset, fileOffset);
      offset += FILE_HEADER_BYTES;
    }
    // The hot loop: locals instead of property reads, one object and one view per frame.
    const { onFrame, live } = this.target;
    const littleEndian = this.littleEndian;
    const headerBytes = this.recordHeaderBytes;
    const fractionNanoseconds = this.fractionNanoseconds;
    const linkType = this.linkType;
    const maxCaptured = this.maxCapturedBytes;
    const offsetShift = fileOffset - start;
    while (end - offset >= headerBytes) {
      const captured = littleEndian ? buffer.readUInt32LE(offset + 8) : buffer.readUInt32BE(offset + 8);
      if (captured > maxCaptured) throw this.impossibleLength(captured, offsetShift + offset);
      const recordEnd = offset + headerBytes + captured;
      if (recordEnd > end) break;
      let seconds = littleEndian ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset);
      let nanoseconds = (littleEndian ? buffer.readUInt32LE(offset + 4) : buffer.readUInt32BE(offset + 4)) * fractionNanoseconds;
      if (nanoseconds > 999_999_999) {
        // Some writers let the fraction overflow; carry it into the seconds as libpcap's readers do.
        seconds += Math.floor(nanoseconds / 1e9);
        nanoseconds %= 1e9;
      }
      const originalLength = littleEndian ? buffer.readUInt32LE(offset + 12) : buffer.readUInt32BE(offset + 12);
      this.capturedBytes += captured;
      onFrame({
        seconds,
        nanoseconds,
        linkType,
        originalLength,
        data: buffer.subarray(offset + headerBytes, recordEnd),
        interfaceId: 0,
        fileOffset: live ? -1 : offsetShift + offset,
        index: this.frames++,
      });
      offset = recordEnd;
    }
    return offset;
  }

  summary(fileBytes: number): CaptureSummary {
    return {
      format: 'pcap',
      frames: this.frames,
      bytes: this.capturedBytes,
      fileBytes,
      linkTypes: this.fileHeaderRead ? [this.linkType] : [],
      interfaces: this.fileHeaderRead
        ? [
            {
              id: 0,
              section: 0,
              linkType: this.linkType,
              snaplen: this.snaplen,
              timestampResolution: this.fractionNanoseconds === 1 ? '10^-9' : '10^-6',
              timestampOffsetSeconds: 0,
            },
          ]
        : [],
    };
  }

  private readFileHeader(buffer: Buffer, offset: number, fileOffset: number): void {
    const read16 = (at: number) => (this.littleEndian ? buffer.readUInt16LE(offset + at) : buffer.readUInt16BE(offset + at));
    const read32 = (at: number) => (this.littleEndian ? buffer.readUInt32LE(offset + at) : buffer.readUInt32BE(offset + at));
    const major = read16(4);
    if (major !== 2) {
      throw captureError('CT_ERR_CAPTURE_FORMAT', this.target.source, fileOffset, `pcap version ${major}.${read16(6)} is not 2.x`);
    }
    this.snaplen = read32(16);
    // The low 16 bits are the LINKTYPE; the high bits may carry FCS information we do not need.
    this.linkType = read32(20) & 0xffff;
    this.maxCapturedBytes = Math.min(MAX_RECORD_BYTES, Math.max(this.snaplen, LIBPCAP_MAX_SNAPLEN));
    this.fileHeaderRead = true;
  }

  private impossibleLength(captured: number, fileOffset: number): Error {
    return captureError(
      'CT_ERR_CAPTURE_CORRUPT',
      this.target.source,
      fileOffset,
      `record claims ${captured} captured bytes, more than the ${this.maxCapturedBytes} a file with snaplen ${this.snaplen} can hold`,
    );
  }
}
