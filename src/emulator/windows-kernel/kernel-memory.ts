/** Host-side access to the guest's memory for the kernel's hooks: 64-bit values as bigints. */
import { MemoryFault, type Memory } from '../cpu/index.ts';
import { addressBits } from './kernel-structures.ts';

export class KernelMemory {
  constructor(readonly memory: Memory) {}

  u8(address: number): number {
    return this.memory.read8(address);
  }

  u16(address: number): number {
    return this.memory.read16(address);
  }

  u32(address: number): number {
    return this.memory.read32(address);
  }

  u64(address: number): bigint {
    return (BigInt(this.memory.read32(address + 4)) << 32n) | BigInt(this.memory.read32(address));
  }

  /** a pointer as the CPU's address number (negative for kernel addresses) */
  pointer(address: number): number {
    return Number(BigInt.asIntN(64, this.u64(address)));
  }

  setU8(address: number, value: number): void {
    this.writeBytes(address, Uint8Array.of(value & 0xff));
  }

  setU16(address: number, value: number): void {
    const bytes = new Uint8Array(2);
    new DataView(bytes.buffer).setUint16(0, value & 0xffff, true);
    this.writeBytes(address, bytes);
  }

  setU32(address: number, value: number): void {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
    this.writeBytes(address, bytes);
  }

  setU64(address: number, value: bigint | number): void {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, typeof value === 'bigint' ? BigInt.asUintN(64, value) : addressBits(value), true);
    this.writeBytes(address, bytes);
  }

  /** A bad pointer handed to a kernel API faults the payload, as it would bug-check a real kernel. */
  writeBytes(address: number, bytes: Uint8Array): void {
    if (!this.memory.writeBytes(address, bytes)) throw new MemoryFault(address, 'unmapped_write');
  }

  bytes(address: number, length: number): Uint8Array | null {
    return this.memory.readBytes(address, length);
  }

  mapped(address: number, length = 1): boolean {
    return this.memory.readBytes(address, length) !== null;
  }

  /** NUL-terminated latin1 string, at most `limit` bytes; '' on unmapped memory */
  cString(address: number, limit = 256): string {
    return this.memory.readString(address, limit) ?? '';
  }

  /** a UNICODE_STRING (Length, MaximumLength, Buffer) */
  unicodeString(address: number): string {
    if (!this.mapped(address, 16)) return '';
    const length = this.u16(address);
    const buffer = this.pointer(address + 8);
    const raw = this.bytes(buffer, Math.min(length, 1024));
    if (!raw) return '';
    let out = '';
    for (let i = 0; i + 1 < raw.length; i += 2) out += String.fromCharCode(raw[i]! | (raw[i + 1]! << 8));
    return out;
  }
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** UTF-16LE bytes of `text` (no terminator added) */
export function utf16(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    out[i * 2] = text.charCodeAt(i) & 0xff;
    out[i * 2 + 1] = text.charCodeAt(i) >> 8;
  }
  return out;
}

/** latin1 bytes of `text` (no terminator added) */
export function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0) & 0xff);
}

/** first index of `needle` in `haystack`, or -1 */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let k = 0; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}
