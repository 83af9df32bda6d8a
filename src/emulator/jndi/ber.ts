/** The few BER (X.690) pieces LDAP needs: definite-length TLVs, built and read without throwing. */
import { concatBytes } from '../../core/index.ts';

export function berElement(tag: number, content: Uint8Array): Uint8Array {
  const length = berLength(content.length);
  const element = new Uint8Array(1 + length.length + content.length);
  element[0] = tag;
  element.set(length, 1);
  element.set(content, 1 + length.length);
  return element;
}

export function berSequence(tag: number, ...elements: Uint8Array[]): Uint8Array {
  return berElement(tag, concatBytes(elements));
}

export function berInteger(value: number, tag = 0x02): Uint8Array {
  const bytes: number[] = [];
  let remaining = value;
  do {
    bytes.unshift(remaining & 0xff);
    remaining = Math.floor(remaining / 256);
  } while (remaining > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return berElement(tag, Uint8Array.from(bytes));
}

export function berString(text: string, tag = 0x04): Uint8Array {
  return berElement(tag, new TextEncoder().encode(text));
}

function berLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let remaining = length; remaining > 0; remaining = Math.floor(remaining / 256)) bytes.unshift(remaining & 0xff);
  return Uint8Array.from([0x80 | bytes.length, ...bytes]);
}

export { concatBytes };

export interface BerValue {
  tag: number;
  /** where the content starts and ends in the buffer read */
  contentStart: number;
  contentEnd: number;
}

/** The TLV at `offset`, or null when the bytes there are not a complete definite-length element. */
export function readBer(bytes: Uint8Array, offset: number, limit = bytes.length): BerValue | null {
  if (offset + 2 > limit) return null;
  const tag = bytes[offset]!;
  let length = bytes[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || contentStart + count > limit) return null;
    length = 0;
    for (let index = 0; index < count; index++) length = length * 256 + bytes[contentStart + index]!;
    contentStart += count;
  }
  const contentEnd = contentStart + length;
  if (contentEnd > limit) return null;
  return { tag, contentStart, contentEnd };
}

/** the elements directly inside a constructed value */
export function berChildren(bytes: Uint8Array, parent: BerValue): BerValue[] {
  const children: BerValue[] = [];
  let offset = parent.contentStart;
  while (offset < parent.contentEnd) {
    const child = readBer(bytes, offset, parent.contentEnd);
    if (!child) break;
    children.push(child);
    offset = child.contentEnd;
  }
  return children;
}

export function berText(bytes: Uint8Array, value: BerValue): string {
  return new TextDecoder('latin1').decode(bytes.subarray(value.contentStart, value.contentEnd));
}
