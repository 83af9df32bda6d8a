import type { Packet } from '../core/index.ts';
import { addEncapsulation, type DecodeContext } from './decode-context.ts';
import { decodeEthernet } from './ethernet.ts';
import { decodeErspan, GRE_PROTOCOL_ERSPAN_2, GRE_PROTOCOL_ERSPAN_3 } from './erspan.ts';

const FLAG_CHECKSUM = 0x8000;
const FLAG_ROUTING = 0x4000;
const FLAG_KEY = 0x2000;
const FLAG_SEQUENCE = 0x1000;
const VERSION_MASK = 0x0007;
export const GRE_PROTOCOL_TRANSPARENT_ETHERNET = 0x6558;

/**
 * GRE (RFC 2784 with the RFC 2890 key and sequence number). `depth` is the tunnel depth of the
 * GRE layer itself (the caller checked it against the limit). IPv4/IPv6 and transparent Ethernet
 * bridging (0x6558) are decoded inside; ERSPAN goes to its own decoder and is recorded as
 * `erspanN` instead of `gre`; any other protocol (PPTP's PPP, WCCP …) ends decoding with the GRE
 * payload as the packet payload.
 */
export function decodeGre(context: DecodeContext, packet: Packet, data: Buffer, offset: number, end: number, depth: number): void {
  if (end - offset < 4) {
    context.anomaly(packet, 'gre_truncated');
    return;
  }
  const flags = data.readUInt16BE(offset);
  const protocol = data.readUInt16BE(offset + 2);
  if ((flags & VERSION_MASK) !== 0) {
    context.anomaly(packet, 'gre_unsupported_version');
    packet.payload = data.subarray(offset, end);
    return;
  }
  if ((flags & FLAG_ROUTING) !== 0) {
    context.anomaly(packet, 'gre_routing_unsupported');
    packet.payload = data.subarray(offset, end);
    return;
  }
  let cursor = offset + 4;
  if ((flags & FLAG_CHECKSUM) !== 0) cursor += 4;
  if ((flags & FLAG_KEY) !== 0) cursor += 4;
  const hasSequence = (flags & FLAG_SEQUENCE) !== 0;
  if (hasSequence) cursor += 4;
  if (cursor > end) {
    context.anomaly(packet, 'gre_truncated');
    return;
  }
  context.count('decoder.gre');
  switch (protocol) {
    case 0x0800:
    case 0x86dd:
      addEncapsulation(packet, 'gre');
      context.decodeEtherType(packet, protocol, data, cursor, end, depth);
      return;
    case GRE_PROTOCOL_TRANSPARENT_ETHERNET:
      addEncapsulation(packet, 'gre');
      decodeEthernet(context, packet, data, cursor, end, depth);
      return;
    case GRE_PROTOCOL_ERSPAN_2:
      decodeErspan(context, packet, hasSequence ? 2 : 1, data, cursor, end, depth);
      return;
    case GRE_PROTOCOL_ERSPAN_3:
      decodeErspan(context, packet, 3, data, cursor, end, depth);
      return;
    default:
      addEncapsulation(packet, 'gre');
      packet.payload = data.subarray(cursor, end);
  }
}
