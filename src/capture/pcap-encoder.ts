import { CrashtestError } from '../core/index.ts';

/** What a writer needs of a frame: `Frame` fits, and so does a hand-made literal in a test. */
export interface FrameLike {
  seconds: number;
  nanoseconds: number;
  data: Buffer;
  /** defaults to `data.length` */
  originalLength?: number;
}

export interface PcapFormatOptions {
  linkType: number;
  /** default 262144, libpcap's default; longer frames are cut to it */
  snaplen?: number;
  /** timestamp unit: 'micro' (magic a1b2c3d4, the default) or 'nano' (a1b23c4d) */
  precision?: 'micro' | 'nano';
  /** default 'little' (what every current writer produces) */
  byteOrder?: 'little' | 'big';
}

export const PCAP_FILE_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;

/** Encodes the pcap file header and records into caller-owned buffers (no allocation per record). */
export class PcapEncoder {
  readonly linkType: number;
  readonly snaplen: number;
  readonly precision: 'micro' | 'nano';
  readonly littleEndian: boolean;

  constructor(options: PcapFormatOptions) {
    const snaplen = options.snaplen ?? 262_144;
    if (!Number.isInteger(options.linkType) || options.linkType < 0 || options.linkType > 0xffff) {
      throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `pcap link type must be an integer 0..65535, got ${options.linkType}`);
    }
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0x7fffffff) {
      throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `pcap snaplen must be a positive integer, got ${snaplen}`);
    }
    this.linkType = options.linkType;
    this.snaplen = snaplen;
    this.precision = options.precision ?? 'micro';
    this.littleEndian = (options.byteOrder ?? 'little') === 'little';
  }

  fileHeader(): Buffer {
    const header = Buffer.alloc(PCAP_FILE_HEADER_BYTES);
    this.write32(header, 0, this.precision === 'nano' ? 0xa1b23c4d : 0xa1b2c3d4);
    this.write16(header, 4, 2);
    this.write16(header, 6, 4);
    this.write32(header, 16, this.snaplen);
    this.write32(header, 20, this.linkType);
    return header;
  }

  /** Bytes `encodeRecord` will write for this frame. */
  recordLength(frame: FrameLike): number {
    return PCAP_RECORD_HEADER_BYTES + Math.min(frame.data.length, this.snaplen);
  }

  /** Writes one record at `offset` (the caller made room for `recordLength`); returns the bytes written. */
  encodeRecord(frame: FrameLike, target: Buffer, offset: number): number {
    const captured = Math.min(frame.data.length, this.snaplen);
    const fraction = this.precision === 'nano' ? frame.nanoseconds : Math.floor(frame.nanoseconds / 1000);
    this.write32(target, offset, frame.seconds);
    this.write32(target, offset + 4, fraction);
    this.write32(target, offset + 8, captured);
    this.write32(target, offset + 12, frame.originalLength ?? frame.data.length);
    frame.data.copy(target, offset + PCAP_RECORD_HEADER_BYTES, 0, captured);
    return PCAP_RECORD_HEADER_BYTES + captured;
  }

  private write32(target: Buffer, offset: number, value: number): void {
    if (this.littleEndian) target.writeUInt32LE(value >>> 0, offset);
    else target.writeUInt32BE(value >>> 0, offset);
  }

  private write16(target: Buffer, offset: number, value: number): void {
    if (this.littleEndian) target.writeUInt16LE(value, offset);
    else target.writeUInt16BE(value, offset);
  }
}
