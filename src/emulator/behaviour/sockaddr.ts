import type { GuestMemory } from './guest.ts';

export interface SocketAddress {
  family: number;
  address: string;
  port: number;
}

/** Reads a sockaddr_in (family 2) or sockaddr_in6 (Windows 23, Linux 10); other families keep
 *  their number and an empty address. Unmapped memory reads as family 0. */
export function readSocketAddress(memory: GuestMemory, pointer: number): SocketAddress {
  if (pointer === 0 || !memory.isMapped(pointer, 8)) return { family: 0, address: '', port: 0 };
  const family = memory.readU16(pointer);
  const port = (memory.readU8(pointer + 2) << 8) | memory.readU8(pointer + 3);
  if (family === 2) return { family, address: formatIpv4(memory.read(pointer + 4, 4)), port };
  if ((family === 23 || family === 10) && memory.isMapped(pointer, 24)) {
    return { family, address: formatIpv6(memory.read(pointer + 8, 16)), port };
  }
  return { family, address: '', port };
}

export function writeSocketAddress(memory: GuestMemory, pointer: number, address: string, port: number): void {
  if (pointer === 0 || !memory.isMapped(pointer, 16)) return;
  const bytes = new Uint8Array(16);
  bytes[0] = 2;
  bytes[2] = port >> 8;
  bytes[3] = port & 0xff;
  bytes.set(parseIpv4(address) ?? [0, 0, 0, 0], 4);
  memory.write(pointer, bytes);
}

export function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

function formatIpv6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** Dotted quad → 4 bytes, or null. Accepts what inet_addr accepts in practice (four decimal parts). */
export function parseIpv4(text: string): number[] | null {
  const match = /^\s*(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\s*$/.exec(text);
  if (!match) return null;
  const parts = match.slice(1, 5).map(Number);
  return parts.every((part) => part <= 255) ? parts : null;
}

/** `1.2.3.4:80`, or `[::1]:80` for IPv6 */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Printable preview of sent bytes for a summary line. */
export function previewBytes(bytes: Uint8Array, limit = 48): string {
  let out = '';
  for (const byte of bytes.subarray(0, limit)) out += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
  return bytes.length > limit ? `${out}…` : out;
}
