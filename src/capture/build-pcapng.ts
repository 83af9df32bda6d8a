import { CrashtestError } from '../core/index.ts';
import { PcapngBlockType } from './pcapng-block-decoder.ts';

/** One block of a pcapng file to build; interface ids count within the section, as in the format. */
export type PcapngBlockSpec =
  | { kind: 'interface'; linkType: number; snaplen?: number; tsresol?: number; tsoffset?: number; name?: string }
  | {
      kind: 'enhanced';
      interfaceId: number;
      seconds: number;
      nanoseconds: number;
      data: Buffer;
      originalLength?: number;
      /** written as an opt_comment after the data, to show options are skipped */
      comment?: string;
    }
  /** stored cut to interface 0's snaplen, as the format requires */
  | { kind: 'simple'; data: Buffer; originalLength?: number }
  /** the obsolete Packet Block (type 2) */
  | { kind: 'packet'; interfaceId: number; seconds: number; nanoseconds: number; data: Buffer; originalLength?: number; drops?: number }
  | { kind: 'statistics'; interfaceId: number; ifDrop?: number }
  /** any other block verbatim: name resolution, decryption secrets, custom, unknown */
  | { kind: 'raw'; type: number; body: Buffer };

export interface PcapngSectionSpec {
  /** default 'little' */
  byteOrder?: 'little' | 'big';
  blocks: PcapngBlockSpec[];
}

interface BuiltInterface {
  snaplen: number;
  tsresol: number;
  tsoffset: number;
}

/**
 * A whole pcapng file in memory, for tests: several sections, byte orders, interfaces with their
 * own link types, snaplens and timestamp resolutions, and every packet block kind.
 */
export function buildPcapng(sections: readonly PcapngSectionSpec[]): Buffer {
  const blocks: Buffer[] = [];
  for (const section of sections) {
    const writer = new BlockWriter(section.byteOrder !== 'big');
    const interfaces: BuiltInterface[] = [];
    blocks.push(writer.sectionHeader());
    for (const spec of section.blocks) blocks.push(writer.block(spec, interfaces));
  }
  return Buffer.concat(blocks);
}

const padded = (length: number): number => (length + 3) & ~3;

class BlockWriter {
  constructor(private readonly littleEndian: boolean) {}

  sectionHeader(): Buffer {
    const body = Buffer.alloc(16);
    this.write32(body, 0, 0x1a2b3c4d);
    this.write16(body, 4, 1);
    this.write16(body, 6, 0);
    body.writeBigInt64LE(-1n, 8); // section length unknown: all ones in either order
    return this.frame(PcapngBlockType.SECTION_HEADER, body);
  }

  block(spec: PcapngBlockSpec, interfaces: BuiltInterface[]): Buffer {
    switch (spec.kind) {
      case 'interface':
        return this.interfaceDescription(spec, interfaces);
      case 'enhanced':
      case 'packet':
        return this.timestampedPacket(spec, interfaces);
      case 'simple': {
        const snaplen = interfaces[0]?.snaplen ?? 0;
        const originalLength = spec.originalLength ?? spec.data.length;
        const data = spec.data.subarray(0, snaplen !== 0 ? Math.min(snaplen, originalLength) : originalLength);
        const body = Buffer.alloc(4 + padded(data.length));
        this.write32(body, 0, originalLength);
        data.copy(body, 4);
        return this.frame(PcapngBlockType.SIMPLE_PACKET, body);
      }
      case 'statistics': {
        const options = spec.ifDrop !== undefined ? [this.option(5, this.u64(spec.ifDrop))] : [];
        const fixed = Buffer.alloc(12);
        this.write32(fixed, 0, spec.interfaceId);
        return this.frame(PcapngBlockType.INTERFACE_STATISTICS, Buffer.concat([fixed, ...this.optionList(options)]));
      }
      case 'raw':
        return this.frame(spec.type, Buffer.concat([spec.body, Buffer.alloc(padded(spec.body.length) - spec.body.length)]));
    }
  }

  private interfaceDescription(spec: Extract<PcapngBlockSpec, { kind: 'interface' }>, interfaces: BuiltInterface[]): Buffer {
    const fixed = Buffer.alloc(8);
    this.write16(fixed, 0, spec.linkType);
    this.write32(fixed, 4, spec.snaplen ?? 0);
    const options: Buffer[] = [];
    if (spec.name !== undefined) options.push(this.option(2, Buffer.from(spec.name, 'utf8')));
    if (spec.tsresol !== undefined) options.push(this.option(9, Buffer.from([spec.tsresol])));
    if (spec.tsoffset !== undefined) options.push(this.option(14, this.u64(spec.tsoffset)));
    interfaces.push({ snaplen: spec.snaplen ?? 0, tsresol: spec.tsresol ?? 6, tsoffset: spec.tsoffset ?? 0 });
    return this.frame(PcapngBlockType.INTERFACE_DESCRIPTION, Buffer.concat([fixed, ...this.optionList(options)]));
  }

  private timestampedPacket(spec: Extract<PcapngBlockSpec, { kind: 'enhanced' | 'packet' }>, interfaces: BuiltInterface[]): Buffer {
    const described = interfaces[spec.interfaceId];
    if (described === undefined) {
      throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `buildPcapng: interface ${spec.interfaceId} is not declared in its section`);
    }
    const units = timestampUnits(spec.seconds, spec.nanoseconds, described);
    const fixed = Buffer.alloc(20 + padded(spec.data.length));
    if (spec.kind === 'packet') {
      this.write16(fixed, 0, spec.interfaceId);
      this.write16(fixed, 2, spec.drops ?? 0);
    } else {
      this.write32(fixed, 0, spec.interfaceId);
    }
    this.write32(fixed, 4, Number(units >> 32n));
    this.write32(fixed, 8, Number(units & 0xffffffffn));
    this.write32(fixed, 12, spec.data.length);
    this.write32(fixed, 16, spec.originalLength ?? spec.data.length);
    spec.data.copy(fixed, 20);
    const options = spec.kind === 'enhanced' && spec.comment !== undefined ? this.optionList([this.option(1, Buffer.from(spec.comment))]) : [];
    const type = spec.kind === 'packet' ? PcapngBlockType.PACKET : PcapngBlockType.ENHANCED_PACKET;
    return this.frame(type, Buffer.concat([fixed, ...options]));
  }

  private option(code: number, value: Buffer): Buffer {
    const option = Buffer.alloc(4 + padded(value.length));
    this.write16(option, 0, code);
    this.write16(option, 2, value.length);
    value.copy(option, 4);
    return option;
  }

  private optionList(options: Buffer[]): Buffer[] {
    return options.length === 0 ? [] : [...options, Buffer.alloc(4)];
  }

  private u64(value: number): Buffer {
    const bytes = Buffer.alloc(8);
    if (this.littleEndian) bytes.writeBigInt64LE(BigInt(value));
    else bytes.writeBigInt64BE(BigInt(value));
    return bytes;
  }

  /** type, total length, body, total length */
  private frame(type: number, body: Buffer): Buffer {
    const total = 12 + body.length;
    const block = Buffer.alloc(total);
    this.write32(block, 0, type);
    this.write32(block, 4, total);
    body.copy(block, 8);
    this.write32(block, total - 4, total);
    return block;
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

/** Seconds and nanoseconds in the interface's units, rounded down, after removing if_tsoffset. */
function timestampUnits(seconds: number, nanoseconds: number, described: BuiltInterface): bigint {
  const exponent = BigInt(described.tsresol & 0x7f);
  const unitsPerSecond = (described.tsresol & 0x80) !== 0 ? 1n << exponent : 10n ** exponent;
  const totalNanoseconds = BigInt(seconds - described.tsoffset) * 1_000_000_000n + BigInt(nanoseconds);
  return (totalNanoseconds * unitsPerSecond) / 1_000_000_000n;
}
