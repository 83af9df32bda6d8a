/**
 * Writes NDR in the dummy's own data representation (little-endian, ASCII, IEEE), which C706 lets a
 * server answer in whatever the client used. Pointers get referent ids in increasing order, as the
 * Windows marshaller does.
 */
export class NdrWriter {
  private chunks: number[] = [];
  private nextReferent = 0x00020000;

  get length(): number {
    return this.chunks.length;
  }

  align(size: number): this {
    while (this.chunks.length % size !== 0) this.chunks.push(0);
    return this;
  }

  u8(value: number): this {
    this.chunks.push(value & 0xff);
    return this;
  }

  u16(value: number): this {
    this.align(2);
    this.chunks.push(value & 0xff, (value >>> 8) & 0xff);
    return this;
  }

  u32(value: number): this {
    this.align(4);
    this.chunks.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
    return this;
  }

  bytes(bytes: Uint8Array): this {
    for (const byte of bytes) this.chunks.push(byte);
    return this;
  }

  /** a GUID in NDR layout from its text form */
  uuid(text: string): this {
    return this.align(4).bytes(uuidBytes(text));
  }

  /** a non-null unique pointer's referent id */
  referent(): this {
    const id = this.nextReferent;
    this.nextReferent += 4;
    return this.u32(id);
  }

  /** a conformant varying wide string with its terminator */
  wideString(text: string): this {
    const count = text.length + 1;
    this.u32(count).u32(0).u32(count);
    for (let index = 0; index < text.length; index++) this.u16(text.charCodeAt(index));
    return this.u16(0);
  }

  /** a unique pointer to a wide string, null for undefined */
  uniqueWideString(text: string | undefined): this {
    if (text === undefined) return this.u32(0);
    return this.referent().wideString(text);
  }

  /** RPC_UNICODE_STRING header (Length, MaximumLength, pointer); the buffer follows as deferred data */
  unicodeStringHeader(text: string | undefined): this {
    if (text === undefined) return this.u16(0).u16(0).u32(0);
    return this.u16(text.length * 2).u16(text.length * 2).referent();
  }

  /** RPC_UNICODE_STRING's deferred buffer: conformant varying, no terminator */
  unicodeStringBuffer(text: string | undefined): this {
    if (text === undefined) return this;
    this.u32(text.length).u32(0).u32(text.length);
    for (let index = 0; index < text.length; index++) this.u16(text.charCodeAt(index));
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/** the 16 bytes of a GUID in its little-endian NDR layout */
export function uuidBytes(text: string): Uint8Array {
  const hex = text.replace(/-/g, '');
  const bytes = new Uint8Array(16);
  for (let index = 0; index < 16; index++) bytes[index] = parseInt(hex.slice(index * 2, index * 2 + 2), 16) || 0;
  // the first three fields are integers, stored least significant byte first
  bytes.subarray(0, 4).reverse();
  bytes.subarray(4, 6).reverse();
  bytes.subarray(6, 8).reverse();
  return bytes;
}
