import type { CaptureInterface, CaptureSummary } from './capture-summary.ts';
import { captureError } from './capture-error.ts';
import { MAX_RECORD_BYTES, type FrameTarget, type RecordDecoder } from './record-decoder.ts';
import { TimestampResolution } from './timestamp-resolution.ts';

/** pcapng block types (draft-ietf-opsawg-pcapng) that the reader acts on. */
export const PcapngBlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  /** obsolete Packet Block: like an EPB with a 16-bit interface id and a drops count */
  PACKET: 0x00000002,
  SIMPLE_PACKET: 0x00000003,
  NAME_RESOLUTION: 0x00000004,
  INTERFACE_STATISTICS: 0x00000005,
  ENHANCED_PACKET: 0x00000006,
  DECRYPTION_SECRETS: 0x0000000a,
  CUSTOM: 0x00000bad,
  CUSTOM_NO_COPY: 0x40000bad,
} as const;

/** The Section Header Block's byte-order magic, read little-endian. */
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;
/** type, total length, and the SHB's byte-order magic: enough to know any block's length */
const BLOCK_PREFIX_BYTES = 12;

const Option = {
  END: 0,
  IF_NAME: 2,
  IF_TSRESOL: 9,
  IF_TSOFFSET: 14,
  ISB_IFDROP: 5,
} as const;

interface SectionInterface {
  info: CaptureInterface;
  clock: TimestampResolution;
}

/**
 * pcapng: a sequence of blocks, each `type, total length, body, total length`. Sections (each
 * starting with an SHB) may change byte order and restart interface numbering; `Frame.interfaceId`
 * is global across sections so frames from different sections never share an id.
 */
export class PcapngBlockDecoder implements RecordDecoder {
  private littleEndian = true;
  private section = -1;
  private sectionInterfaces: SectionInterface[] = [];
  private readonly interfaces: CaptureInterface[] = [];
  private interfaceDrops: Record<number, number> | undefined;
  private frames = 0;
  private capturedBytes = 0;

  constructor(private readonly target: FrameTarget) {}

  recordLength(buffer: Buffer, offset: number, available: number, fileOffset: number): number {
    if (available < BLOCK_PREFIX_BYTES) return BLOCK_PREFIX_BYTES;
    const type = buffer.readUInt32LE(offset); // the SHB type reads the same in both orders
    let littleEndian = this.littleEndian;
    if (type === PcapngBlockType.SECTION_HEADER) {
      littleEndian = this.sectionByteOrder(buffer.readUInt32LE(offset + 8), fileOffset);
    } else if (this.section < 0) {
      throw captureError('CT_ERR_CAPTURE_FORMAT', this.target.source, fileOffset, 'pcapng file does not start with a Section Header Block');
    }
    const total = littleEndian ? buffer.readUInt32LE(offset + 4) : buffer.readUInt32BE(offset + 4);
    if (total < BLOCK_PREFIX_BYTES || total % 4 !== 0 || total > MAX_RECORD_BYTES) {
      throw captureError(
        'CT_ERR_CAPTURE_CORRUPT',
        this.target.source,
        fileOffset,
        `block type 0x${type.toString(16)} has total length ${total}, expected a multiple of 4 from 12 to ${MAX_RECORD_BYTES}`,
      );
    }
    return total;
  }

  decodeRecords(buffer: Buffer, start: number, end: number, fileOffset: number): number {
    let offset = start;
    while (end - offset >= BLOCK_PREFIX_BYTES) {
      const blockFileOffset = fileOffset + (offset - start);
      const total = this.recordLength(buffer, offset, end - offset, blockFileOffset);
      if (total > end - offset) break;
      this.decodeBlock(buffer, offset, total, blockFileOffset);
      offset += total;
    }
    return offset;
  }

  summary(fileBytes: number): CaptureSummary {
    const summary: CaptureSummary = {
      format: 'pcapng',
      frames: this.frames,
      bytes: this.capturedBytes,
      fileBytes,
      linkTypes: [...new Set(this.interfaces.map((info) => info.linkType))],
      interfaces: this.interfaces.map((info) => ({ ...info })),
    };
    if (this.interfaceDrops) summary.interfaceDrops = { ...this.interfaceDrops };
    return summary;
  }

  private decodeBlock(buffer: Buffer, offset: number, total: number, fileOffset: number): void {
    const type = buffer.readUInt32LE(offset);
    if (type === PcapngBlockType.SECTION_HEADER) this.startSection(buffer, offset, fileOffset);
    const littleEndian = this.littleEndian;
    const trailer = littleEndian ? buffer.readUInt32LE(offset + total - 4) : buffer.readUInt32BE(offset + total - 4);
    if (trailer !== total) {
      throw this.corrupt(fileOffset, `block total length ${total} at the start but ${trailer} at the end`);
    }
    const blockType = littleEndian ? type : buffer.readUInt32BE(offset);
    switch (blockType) {
      case PcapngBlockType.ENHANCED_PACKET:
        this.enhancedPacket(buffer, offset, total, fileOffset);
        break;
      case PcapngBlockType.SIMPLE_PACKET:
        this.simplePacket(buffer, offset, total, fileOffset);
        break;
      case PcapngBlockType.PACKET:
        this.obsoletePacket(buffer, offset, total, fileOffset);
        break;
      case PcapngBlockType.INTERFACE_DESCRIPTION:
        this.interfaceDescription(buffer, offset, total, fileOffset);
        break;
      case PcapngBlockType.INTERFACE_STATISTICS:
        this.interfaceStatistics(buffer, offset, total);
        break;
      default:
        // SHB (handled above), name resolution, decryption secrets, custom and unknown blocks
        break;
    }
  }

  private startSection(buffer: Buffer, offset: number, fileOffset: number): void {
    this.littleEndian = this.sectionByteOrder(buffer.readUInt32LE(offset + 8), fileOffset);
    const major = this.littleEndian ? buffer.readUInt16LE(offset + 12) : buffer.readUInt16BE(offset + 12);
    if (major !== 1) {
      throw captureError('CT_ERR_CAPTURE_FORMAT', this.target.source, fileOffset, `pcapng major version ${major} is not 1`);
    }
    const total = this.littleEndian ? buffer.readUInt32LE(offset + 4) : buffer.readUInt32BE(offset + 4);
    if (total < 28) throw this.corrupt(fileOffset, `Section Header Block of ${total} bytes is shorter than 28`);
    this.section += 1;
    this.sectionInterfaces = [];
  }

  private sectionByteOrder(magic: number, fileOffset: number): boolean {
    if (magic === BYTE_ORDER_MAGIC) return true;
    if (magic === BYTE_ORDER_MAGIC_SWAPPED) return false;
    throw captureError(
      'CT_ERR_CAPTURE_FORMAT',
      this.target.source,
      fileOffset,
      `Section Header Block byte-order magic is 0x${magic.toString(16)}, expected 0x1a2b3c4d either way round`,
    );
  }

  private enhancedPacket(buffer: Buffer, offset: number, total: number, fileOffset: number): void {
    if (total < 32) throw this.corrupt(fileOffset, `Enhanced Packet Block of ${total} bytes is shorter than 32`);
    const interfaceId = this.read32(buffer, offset + 8);
    this.emitTimestamped(buffer, offset, total, fileOffset, interfaceId);
  }

  private obsoletePacket(buffer: Buffer, offset: number, total: number, fileOffset: number): void {
    if (total < 32) throw this.corrupt(fileOffset, `Packet Block of ${total} bytes is shorter than 32`);
    const interfaceId = this.littleEndian ? buffer.readUInt16LE(offset + 8) : buffer.readUInt16BE(offset + 8);
    this.emitTimestamped(buffer, offset, total, fileOffset, interfaceId);
  }

  /** EPB and the obsolete PB share the layout from byte 12: timestamp, captured, original, data. */
  private emitTimestamped(buffer: Buffer, offset: number, total: number, fileOffset: number, interfaceId: number): void {
    const sectionInterface = this.sectionInterfaces[interfaceId];
    if (sectionInterface === undefined) {
      throw this.corrupt(fileOffset, `packet refers to interface ${interfaceId}, but the section declares ${this.sectionInterfaces.length}`);
    }
    const captured = this.read32(buffer, offset + 20);
    if (captured > total - 32) {
      throw this.corrupt(fileOffset, `packet claims ${captured} captured bytes, more than its ${total}-byte block can hold`);
    }
    const clock = sectionInterface.clock;
    clock.convert(this.read32(buffer, offset + 12), this.read32(buffer, offset + 16));
    this.capturedBytes += captured;
    this.target.onFrame({
      seconds: clock.seconds,
      nanoseconds: clock.nanoseconds,
      linkType: sectionInterface.info.linkType,
      originalLength: this.read32(buffer, offset + 24),
      data: buffer.subarray(offset + 28, offset + 28 + captured),
      interfaceId: sectionInterface.info.id,
      fileOffset: this.target.live ? -1 : fileOffset,
      index: this.frames++,
    });
  }

  /** SPB: no timestamp (reported as 0) and no captured length: it is min(original, snaplen). */
  private simplePacket(buffer: Buffer, offset: number, total: number, fileOffset: number): void {
    if (total < 16) throw this.corrupt(fileOffset, `Simple Packet Block of ${total} bytes is shorter than 16`);
    const sectionInterface = this.sectionInterfaces[0];
    if (sectionInterface === undefined) throw this.corrupt(fileOffset, 'Simple Packet Block before any Interface Description Block');
    const originalLength = this.read32(buffer, offset + 8);
    const snaplen = sectionInterface.info.snaplen;
    const captured = snaplen !== 0 && snaplen < originalLength ? snaplen : originalLength;
    if (captured > total - 16) {
      throw this.corrupt(fileOffset, `Simple Packet Block needs ${captured} packet bytes, more than its ${total}-byte block can hold`);
    }
    this.capturedBytes += captured;
    this.target.onFrame({
      seconds: 0,
      nanoseconds: 0,
      linkType: sectionInterface.info.linkType,
      originalLength,
      data: buffer.subarray(offset + 12, offset + 12 + captured),
      interfaceId: sectionInterface.info.id,
      fileOffset: this.target.live ? -1 : fileOffset,
      index: this.frames++,
    });
  }

  private interfaceDescription(buffer: Buffer, offset: number, total: number, fileOffset: number): void {
    if (total < 20) throw this.corrupt(fileOffset, `Interface Description Block of ${total} bytes is shorter than 20`);
    let tsresol = 6;
    let tsoffset = 0;
    let name: string | undefined;
    this.forEachOption(buffer, offset + 16, offset + total - 4, (code, start, length) => {
      if (code === Option.IF_TSRESOL && length >= 1) tsresol = buffer[start];
      else if (code === Option.IF_TSOFFSET && length >= 8) tsoffset = Number(this.read64(buffer, start, true));
      else if (code === Option.IF_NAME) name = buffer.toString('utf8', start, start + length).replace(/\0+$/, '');
    });
    const clock = new TimestampResolution(tsresol, tsoffset);
    const info: CaptureInterface = {
      id: this.interfaces.length,
      section: this.section,
      linkType: this.littleEndian ? buffer.readUInt16LE(offset + 8) : buffer.readUInt16BE(offset + 8),
      snaplen: this.read32(buffer, offset + 12),
      timestampResolution: clock.description,
      timestampOffsetSeconds: tsoffset,
    };
    if (name !== undefined) info.name = name;
    this.interfaces.push(info);
    this.sectionInterfaces.push({ info, clock });
  }

  private interfaceStatistics(buffer: Buffer, offset: number, total: number): void {
    if (total < 24) return; // a statistics block too short to hold anything tells us nothing
    const sectionInterface = this.sectionInterfaces[this.read32(buffer, offset + 8)];
    if (sectionInterface === undefined) return;
    this.forEachOption(buffer, offset + 20, offset + total - 4, (code, start, length) => {
      if (code === Option.ISB_IFDROP && length >= 8) {
        this.interfaceDrops ??= {};
        this.interfaceDrops[sectionInterface.info.id] = Number(this.read64(buffer, start, false));
      }
    });
  }

  /**
   * Walks an option list. A malformed list (an option running past the block) ends the walk rather
   * than failing the file: options are advisory and some writers get the padding wrong.
   */
  private forEachOption(buffer: Buffer, start: number, end: number, visit: (code: number, start: number, length: number) => void): void {
    let offset = start;
    while (end - offset >= 4) {
      const code = this.littleEndian ? buffer.readUInt16LE(offset) : buffer.readUInt16BE(offset);
      const length = this.littleEndian ? buffer.readUInt16LE(offset + 2) : buffer.readUInt16BE(offset + 2);
      if (code === Option.END || offset + 4 + length > end) return;
      visit(code, offset + 4, length);
      offset += 4 + ((length + 3) & ~3);
    }
  }

  private read32(buffer: Buffer, at: number): number {
    return this.littleEndian ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at);
  }

  private read64(buffer: Buffer, at: number, signed: boolean): bigint {
    if (signed) return this.littleEndian ? buffer.readBigInt64LE(at) : buffer.readBigInt64BE(at);
    return this.littleEndian ? buffer.readBigUInt64LE(at) : buffer.readBigUInt64BE(at);
  }

  private corrupt(fileOffset: number, problem: string): Error {
    return captureError('CT_ERR_CAPTURE_CORRUPT', this.target.source, fileOffset, problem);
  }
}
