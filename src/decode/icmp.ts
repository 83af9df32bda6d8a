import type { Packet } from '../core/index.ts';
import type { DecodeContext } from './decode-context.ts';

/** type, code, checksum and the 4-byte rest-of-header (echo id/sequence, pointer, MTU …) */
export const ICMP_HEADER_LENGTH = 8;

/**
 * ICMP (version 4) and ICMPv6 (version 6). The payload is the message body after the 8-byte
 * header: echo data, or the invoking packet of an error message. A message shorter than 8 bytes
 * still gets its type and code when it has them, with an empty payload and a truncation anomaly.
 */
export function decodeIcmp(context: DecodeContext, packet: Packet, data: Buffer, offset: number, end: number, version: 4 | 6): void {
  const available = end - offset;
  if (available < ICMP_HEADER_LENGTH) context.anomaly(packet, version === 4 ? 'icmp_truncated' : 'icmpv6_truncated');
  if (available < 2) return;
  packet.icmp = { version, type: data[offset]!, code: data[offset + 1]! };
  if (available >= ICMP_HEADER_LENGTH) packet.payload = data.subarray(offset + ICMP_HEADER_LENGTH, end);
  context.count(version === 4 ? 'decoder.icmp' : 'decoder.icmpv6');
}
