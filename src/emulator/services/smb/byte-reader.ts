/**
 * Bounds-checked little-endian reads over hostile bytes: every read past the end answers
 * undefined (or a short slice), so a parser checks once instead of trusting declared lengths.
 */
import { concatBytes } from '../../../core/index.ts';
export class ByteReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  has(offset: number, size: number): boolean {
    return offset >= 0 && size >= 0 && offset + size <= this.bytes.length;
  }

  u8(offset: number): number | undefined {
    return this.has(offset, 1) ? this.bytes[offset] : undefined;
  }

  u16(offset: number): number | undefined {
    return this.has(offset, 2) ? this.view.getUint16(offset, true) : undefined;
  }

  u32(offset: number): number | undefined {
    return this.has(offset, 4) ? this.view.getUint32(offset, true) : undefined;
  }

  u64(offset: number): bigint | undefined {
    return this.has(offset, 8) ? this.view.getBigUint64(offset, true) : undefined;
  }

  /** the bytes at [offset, offset + size), cut short at the end; empty when offset is outside */
  slice(offset: number, size: number): Uint8Array {
    if (offset < 0 || offset >= this.bytes.length || size <= 0) return new Uint8Array(0);
    return this.bytes.subarray(offset, Math.min(this.bytes.length, offset + size));
  }
}

/** Little-endian writes into a growing buffer, for building responses. */
/**
 * Room from Node's shared buffer pool: a fresh `Uint8Array(256)` per writer costs a backing-store
 * allocation each time, and every reply builds several writers. Only written bytes leave (finish).
 */
function room(length: number): Uint8Array {
  return Buffer.allocUnsafe(length);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export class ByteWriter {
  private buffer = room(256);
  private view = viewOf(this.buffer);
  private size = 0;

  get length(): number {
    return this.size;
  }

  private reserve(extra: number): void {
    if (this.size + extra <= this.buffer.length) return;
    const grown = room(Math.max(this.buffer.length * 2, this.size + extra));
    grown.set(this.buffer.subarray(0, this.size));
    this.buffer = grown;
    this.view = viewOf(grown);
  }

  u8(value: number): this {
    this.reserve(1);
    this.view.setUint8(this.size, value & 0xff);
    this.size += 1;
    return this;
  }

  u16(value: number): this {
    this.reserve(2);
    this.view.setUint16(this.size, value & 0xffff, true);
    this.size += 2;
    return this;
  }

  u32(value: number): this {
    this.reserve(4);
    this.view.setUint32(this.size, value >>> 0, true);
    this.size += 4;
    return this;
  }

  u64(value: bigint): this {
    this.reserve(8);
    this.view.setBigUint64(this.size, BigInt.asUintN(64, value), true);
    this.size += 8;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.reserve(value.length);
    this.buffer.set(value, this.size);
    this.size += value.length;
    return this;
  }

  zeros(count: number): this {
    this.reserve(count);
    this.buffer.fill(0, this.size, this.size + count);
    this.size += count;
    return this;
  }

  /** pads with zeros up to a multiple of `alignment` */
  align(alignment: number): this {
    const remainder = this.size % alignment;
    return remainder === 0 ? this : this.zeros(alignment - remainder);
  }

  /** overwrites a 16-bit value already written (lengths known only at the end) */
  patchU16(offset: number, value: number): this {
    this.view.setUint16(offset, value & 0xffff, true);
    return this;
  }

  patchU32(offset: number, value: number): this {
    this.view.setUint32(offset, value >>> 0, true);
    return this;
  }

  /** a copy of the written bytes as a plain Uint8Array (never a view into the shared pool) */
  finish(): Uint8Array {
    const written = new Uint8Array(this.size);
    written.set(this.buffer.subarray(0, this.size));
    return written;
  }
}

export { concatBytes };

export function utf16(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 2);
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    bytes[index * 2] = code & 0xff;
    bytes[index * 2 + 1] = code >> 8;
  }
  return bytes;
}

/** UTF-16LE to a string, stopping at a NUL; an odd trailing byte is dropped */
export function fromUtf16(bytes: Uint8Array): string {
  let text = '';
  for (let index = 0; index + 1 < bytes.length; index += 2) {
    const code = bytes[index] | (bytes[index + 1] << 8);
    if (code === 0) break;
    text += String.fromCharCode(code);
  }
  return text;
}

/** 8-bit text up to a NUL (OEM strings: dialect names, non-Unicode paths) */
export function fromAscii(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    if (byte === 0) break;
    text += String.fromCharCode(byte);
  }
  return text;
}

export function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index) & 0xff;
  return bytes;
}
