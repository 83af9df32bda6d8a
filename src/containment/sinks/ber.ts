/** The little BER that LDAP needs: read a tag-length-value without trusting any length, write one. */

export interface BerElement {
  tag: number;
  /** offsets of the value in the buffer */
  start: number;
  end: number;
}

/** `need_more` says where the element would end once its header was read (0 before) */
export type BerRead = { kind: 'element'; element: BerElement } | { kind: 'need_more'; declaredEnd: number } | { kind: 'invalid'; reason: string };

/** one element at `offset`, bounded by `limit` (the enclosing element's end) */
export function readElement(bytes: Uint8Array, offset: number, limit = bytes.length): BerRead {
  if (offset + 2 > limit) return limit === bytes.length ? { kind: 'need_more', declaredEnd: 0 } : { kind: 'invalid', reason: 'ber_truncated' };
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) return { kind: 'invalid', reason: 'ber_tag_multibyte' };
  const first = bytes[offset + 1]!;
  let length = first;
  let start = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) return { kind: 'invalid', reason: 'ber_length_unsupported' };
    if (start + count > limit) return limit === bytes.length ? { kind: 'need_more', declaredEnd: 0 } : { kind: 'invalid', reason: 'ber_truncated' };
    length = 0;
    for (let index = 0; index < count; index++) length = length * 256 + bytes[start + index]!;
    start += count;
  }
  const end = start + length;
  if (end > limit) return limit === bytes.length ? { kind: 'need_more', declaredEnd: end } : { kind: 'invalid', reason: 'ber_truncated' };
  return { kind: 'element', element: { tag, start, end } };
}

/** the elements inside a constructed element, or the reason they cannot be read */
export function children(bytes: Uint8Array, parent: BerElement): BerElement[] | string {
  const out: BerElement[] = [];
  let offset = parent.start;
  while (offset < parent.end) {
    const read = readElement(bytes, offset, parent.end);
    if (read.kind !== 'element') return read.kind === 'invalid' ? read.reason : 'ber_truncated';
    out.push(read.element);
    offset = read.element.end;
    if (out.length > 64) return 'ber_too_many_elements';
  }
  return out;
}

export function integerValue(bytes: Uint8Array, element: BerElement): number {
  let value = 0;
  for (let index = element.start; index < Math.min(element.end, element.start + 6); index++) value = value * 256 + bytes[index]!;
  return value;
}

export function encode(tag: number, value: Uint8Array): Uint8Array {
  const length = value.length;
  const head = length < 0x80 ? [tag, length] : length < 0x100 ? [tag, 0x81, length] : [tag, 0x82, length >> 8, length & 0xff];
  const out = new Uint8Array(head.length + length);
  out.set(head);
  out.set(value, head.length);
  return out;
}

export function encodeAll(tag: number, parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const value = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    value.set(part, offset);
    offset += part.length;
  }
  return encode(tag, value);
}

export function encodeInteger(tag: number, value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(rest & 0xff);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return encode(tag, Uint8Array.from(bytes));
}

export function encodeString(tag: number, text: string): Uint8Array {
  return encode(tag, Buffer.from(text, 'utf8'));
}
