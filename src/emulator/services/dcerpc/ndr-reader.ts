/**
 * Reads NDR (C706 chapter 14, transfer syntax 8a885d04…, the 32-bit form) in the client's data
 * representation. Hostile input is data: a read past the end or a count beyond what the buffer can
 * hold sets `overrun` and yields zeros or an empty value instead of throwing, so a decoder reads its
 * whole structure and checks `overrun` once at the end.
 */

/** Upper bound on one string or array an NDR read materialises: a stub is at most the reassembly cap. */
const MAX_ELEMENTS = 1 << 20;

export interface NdrString {
  /** conformance (max_count) the client declared */
  maxCount: number;
  /** offset the client declared (always 0 from honest clients) */
  offset: number;
  /** actual_count the client declared, in characters, terminator included when sent */
  actualCount: number;
  /** the characters without a trailing NUL */
  text: string;
  /** where the characters start in the stub */
  dataOffset: number;
}

export class NdrReader {
  private position = 0;
  /** set once any read went past the end or declared more than the stub holds */
  overrun = false;

  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
  ) {}

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return Math.max(0, this.bytes.length - this.position);
  }

  /** NDR aligns each primitive to its own size, relative to the stub's start */
  align(size: number): void {
    const misalignment = this.position % size;
    if (misalignment !== 0) this.skip(size - misalignment);
  }

  skip(count: number): void {
    if (count < 0 || this.position + count > this.bytes.length) {
      this.overrun = true;
      this.position = this.bytes.length;
      return;
    }
    this.position += count;
  }

  u8(): number {
    if (this.position + 1 > this.bytes.length) return this.fail();
    return this.bytes[this.position++]!;
  }

  u16(): number {
    this.align(2);
    if (this.position + 2 > this.bytes.length) return this.fail();
    const view = this.view();
    const value = view.getUint16(this.position, this.littleEndian);
    this.position += 2;
    return value;
  }

  u32(): number {
    this.align(4);
    if (this.position + 4 > this.bytes.length) return this.fail();
    const value = this.view().getUint32(this.position, this.littleEndian);
    this.position += 4;
    return value;
  }

  /** raw bytes, no alignment */
  take(count: number): Uint8Array {
    if (count < 0 || this.position + count > this.bytes.length) {
      this.fail();
      return new Uint8Array(0);
    }
    const slice = this.bytes.subarray(this.position, this.position + count);
    this.position += count;
    return slice;
  }

  /** a GUID in its NDR layout (u32, u16, u16, 8 bytes), as the usual lower-case text form */
  uuid(): string {
    this.align(4);
    const first = this.u32();
    const second = this.u16();
    const third = this.u16();
    const rest = this.take(8);
    if (rest.length !== 8) return '00000000-0000-0000-0000-000000000000';
    return formatUuid(first, second, third, rest);
  }

  /** a unique or full pointer's referent id: 0 means null, the referent follows (deferred) */
  pointer(): number {
    return this.u32();
  }

  /** a conformant varying string of 16-bit characters (`[string] wchar_t *`) */
  wideString(): NdrString {
    return this.varyingString(2);
  }

  /** a conformant varying string of 8-bit characters (`[string] char *`) */
  narrowString(): NdrString {
    return this.varyingString(1);
  }

  /** a unique pointer to a wide string: null when the referent id is 0 */
  uniqueWideString(): NdrString | null {
    return this.pointer() === 0 ? null : this.wideString();
  }

  /** a conformant array of bytes: u32 count then the bytes */
  conformantBytes(): Uint8Array {
    const count = this.u32();
    if (count > this.remaining) {
      this.fail();
      return new Uint8Array(0);
    }
    return this.take(count);
  }

  private varyingString(width: 1 | 2): NdrString {
    const maxCount = this.u32();
    const offset = this.u32();
    const actualCount = this.u32();
    const dataOffset = this.position;
    if (actualCount > MAX_ELEMENTS || actualCount * width > this.remaining) {
      this.fail();
      return { maxCount, offset, actualCount, text: '', dataOffset };
    }
    const raw = this.take(actualCount * width);
    let text = width === 2 ? decodeUtf16(raw, this.littleEndian) : decodeLatin1(raw);
    const terminator = text.indexOf('\u0000');
    if (terminator >= 0) text = text.slice(0, terminator);
    return { maxCount, offset, actualCount, text, dataOffset };
  }

  private view(): DataView {
    return new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  private fail(): number {
    this.overrun = true;
    this.position = this.bytes.length;
    return 0;
  }
}

export function formatUuid(first: number, second: number, third: number, rest: Uint8Array): string {
  const hex = (value: number, width: number) => value.toString(16).padStart(width, '0');
  const tail = Array.from(rest, (byte) => hex(byte, 2)).join('');
  return `${hex(first, 8)}-${hex(second, 4)}-${hex(third, 4)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}

function decodeUtf16(raw: Uint8Array, littleEndian: boolean): string {
  const units: number[] = [];
  for (let index = 0; index + 1 < raw.length; index += 2) {
    units.push(littleEndian ? raw[index]! | (raw[index + 1]! << 8) : (raw[index]! << 8) | raw[index + 1]!);
  }
  let text = '';
  // chunks keep String.fromCharCode's argument count below engine limits
  for (let start = 0; start < units.length; start += 4096) text += String.fromCharCode(...units.slice(start, start + 4096));
  return text;
}

function decodeLatin1(raw: Uint8Array): string {
  let text = '';
  for (let start = 0; start < raw.length; start += 4096) text += String.fromCharCode(...raw.subarray(start, start + 4096));
  return text;
}
