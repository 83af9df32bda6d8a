/**
 * IP addresses as text, one spelling each: the kernel writes IPv6 in full in conntrack
 * (`fd00:0213:0000:…`), as 32-bit words in host byte order in /proc/net/tcp6, and as 16 bytes in a
 * packet, while sockets report the compressed form (`fd00:213::2`). Everything the netns driver
 * compares or reports goes through here first.
 */
import { isIPv6 } from 'node:net';
import { endianness } from 'node:os';

/** The compressed, lower-case form of an IPv6 address; IPv4 (and anything else) unchanged. */
export function canonicalAddress(address: string): string {
  if (!isIPv6(address)) return address;
  // the WHATWG URL parser serialises IPv6 hosts in the RFC 5952 form
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** 16 bytes of an IPv6 address (a packet's), as canonical text. */
export function ipv6FromBytes(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(((bytes[index]! << 8) | bytes[index + 1]!).toString(16));
  return canonicalAddress(groups.join(':'));
}

/** A /proc/net address field (`0100007F`, or 32 hex digits for IPv6): 32-bit words in host byte order. */
export function procNetAddress(hex: string): string {
  const bytes = new Uint8Array(hex.length / 2);
  const little = endianness() === 'LE';
  for (let word = 0; word < bytes.length / 4; word++) {
    for (let index = 0; index < 4; index++) {
      const byte = Number.parseInt(hex.slice(word * 8 + index * 2, word * 8 + index * 2 + 2), 16);
      bytes[word * 4 + (little ? 3 - index : index)] = byte;
    }
  }
  return bytes.length === 4 ? bytes.join('.') : ipv6FromBytes(bytes);
}
