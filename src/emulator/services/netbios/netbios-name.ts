/**
 * NetBIOS names on the wire (RFC 1001 14.1, RFC 1002 4.1): 16 bytes (15 padded with spaces plus a
 * suffix byte), each half-byte written as a letter 'A'..'P', in a 32-byte DNS label followed by
 * the scope's labels. Decoding answers null on anything that is not such a name.
 */
export interface NetbiosName {
  /** upper case, trailing spaces removed; `*` for the wildcard of node status requests */
  name: string;
  suffix: number;
  /** the name's bytes as they sat in the packet (label, scope, terminator), to echo in answers */
  wire: Uint8Array;
}

const ENCODED_BYTES = 32;
const MAX_NAME_WIRE_BYTES = 255;

/** the name at `offset`, or null when it is not a valid encoded name within the packet */
export function decodeNetbiosName(packet: Uint8Array, offset: number): NetbiosName | null {
  if (packet[offset] !== ENCODED_BYTES || offset + 1 + ENCODED_BYTES > packet.length) return null;
  const raw = new Uint8Array(16);
  for (let index = 0; index < 16; index += 1) {
    const high = packet[offset + 1 + index * 2]! - 0x41;
    const low = packet[offset + 2 + index * 2]! - 0x41;
    if (high < 0 || high > 15 || low < 0 || low > 15) return null;
    raw[index] = (high << 4) | low;
  }
  // scope labels up to the terminating zero; compression pointers have no place in a question
  let cursor = offset + 1 + ENCODED_BYTES;
  while (cursor < packet.length && packet[cursor] !== 0) {
    if ((packet[cursor]! & 0xc0) !== 0) return null;
    cursor += 1 + packet[cursor]!;
    if (cursor - offset > MAX_NAME_WIRE_BYTES) return null;
  }
  if (cursor >= packet.length) return null;
  const text = new TextDecoder('latin1').decode(raw.subarray(0, 15));
  const name = raw[0] === 0x2a && raw.subarray(1).every((byte) => byte === 0) ? '*' : text.replace(/ +$/, '').toUpperCase();
  return { name, suffix: raw[15]!, wire: packet.slice(offset, cursor + 1) };
}

/** `name` (at most 15 bytes) with `suffix`, padded with spaces, as the 16 raw bytes of a name table entry */
export function rawNetbiosName(name: string, suffix: number): Uint8Array {
  const raw = new Uint8Array(16).fill(0x20);
  raw.set(new TextEncoder().encode(name.toUpperCase().slice(0, 15)));
  raw[15] = suffix;
  return raw;
}
