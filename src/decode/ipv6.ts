import type { IpHeader, Packet } from '../core/index.ts';
import type { DecodeContext } from './decode-context.ts';
import { formatIpv6 } from './ip-address.ts';

export const IPV6_HEADER_LENGTH = 40;

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const ESP = 50;
const AUTHENTICATION = 51;
const NO_NEXT_HEADER = 59;
const DESTINATION_OPTIONS = 60;
const MOBILITY = 135;
const HIP = 139;
const SHIM6 = 140;
const EXPERIMENT_1 = 253;
const EXPERIMENT_2 = 254;
const FRAGMENT_HEADER_LENGTH = 8;

/**
 * IPv6 and its extension headers. The payload length bounds the packet (a zero length with a
 * hop-by-hop header is a jumbogram and runs to the frame end). Extension headers are walked up to
 * the transport header; ESP and No Next Header stop the walk with the rest as payload. A fragment
 * header hands the fragmentable part to the reassembler; the walk continues in the reassembled
 * datagram (which may hold more extension headers) with the next header of the first fragment.
 */
export function decodeIpv6(context: DecodeContext, packet: Packet, data: Buffer, offset: number, end: number, depth: number): void {
  if (end - offset < IPV6_HEADER_LENGTH) {
    context.anomaly(packet, 'ipv6_header_truncated');
    return;
  }
  if (data[offset]! >> 4 !== 6) {
    context.anomaly(packet, 'ipv6_bad_version');
    return;
  }
  const payloadLength = data.readUInt16BE(offset + 4);
  const nextHeader = data[offset + 6]!;
  let packetEnd = offset + IPV6_HEADER_LENGTH + payloadLength;
  if (payloadLength === 0 && nextHeader === HOP_BY_HOP) {
    packetEnd = end;
  } else if (packetEnd > end) {
    context.anomaly(packet, 'ipv6_payload_length_exceeds_frame');
    packetEnd = end;
  }
  const ip: IpHeader = {
    version: 6,
    src: formatIpv6(data, offset + 8),
    dst: formatIpv6(data, offset + 24),
    protocol: nextHeader,
    ttl: data[offset + 7]!,
    id: -1,
    totalLength: IPV6_HEADER_LENGTH + payloadLength,
    headerLength: IPV6_HEADER_LENGTH,
    reassembled: false,
    dontFragment: false,
    extensionHeaders: [],
  };
  packet.ip = ip;
  packet.etherType = 0x86dd;
  context.count('decoder.ipv6');
  walkExtensionHeaders(context, packet, ip, data, offset + IPV6_HEADER_LENGTH, packetEnd, nextHeader, depth);
}

function walkExtensionHeaders(
  context: DecodeContext,
  packet: Packet,
  ip: IpHeader,
  data: Buffer,
  offset: number,
  end: number,
  firstHeader: number,
  depth: number,
): void {
  let nextHeader = firstHeader;
  let cursor = offset;
  let bytes = data;
  let limit = end;
  while (true) {
    let length: number;
    switch (nextHeader) {
      case HOP_BY_HOP:
      case ROUTING:
      case DESTINATION_OPTIONS:
      case MOBILITY:
      case HIP:
      case SHIM6:
      case EXPERIMENT_1:
      case EXPERIMENT_2:
      case AUTHENTICATION:
        if (limit - cursor < 2) {
          context.anomaly(packet, 'ipv6_extension_truncated');
          return;
        }
        if (nextHeader === HOP_BY_HOP && ip.extensionHeaders.length > 0) context.anomaly(packet, 'ipv6_hop_by_hop_not_first');
        length = nextHeader === AUTHENTICATION ? (bytes[cursor + 1]! + 2) * 4 : (bytes[cursor + 1]! + 1) * 8;
        break;
      case FRAGMENT:
        length = FRAGMENT_HEADER_LENGTH;
        break;
      default:
        length = -1;
    }
    if (length < 0) break;
    if (limit - cursor < length) {
      context.anomaly(packet, 'ipv6_extension_truncated');
      return;
    }
    ip.extensionHeaders.push(nextHeader);
    ip.headerLength += length;
    if (nextHeader !== FRAGMENT) {
      nextHeader = bytes[cursor]!;
      cursor += length;
      continue;
    }
    const fragmentNextHeader = bytes[cursor]!;
    const offsetAndFlags = bytes.readUInt16BE(cursor + 2);
    const fragmentOffset = offsetAndFlags & 0xfff8;
    const moreFragments = (offsetAndFlags & 1) !== 0;
    ip.id = bytes.readUInt32BE(cursor + 4);
    cursor += length;
    nextHeader = fragmentNextHeader;
    // an atomic fragment (RFC 6946) or a fragment header inside a reassembled datagram: read on
    if ((fragmentOffset === 0 && !moreFragments) || ip.reassembled) continue;
    context.count('decoder.fragments');
    const key = '6 ' + ip.src + ' ' + ip.dst + ' ' + ip.id;
    const datagram = context.fragments.add(context, packet, key, context.nowSeconds, fragmentOffset, bytes.subarray(cursor, limit), moreFragments, fragmentNextHeader);
    if (datagram === null) {
      context.hold();
      return;
    }
    ip.reassembled = true;
    ip.totalLength = ip.headerLength + datagram.length;
    nextHeader = context.fragments.completedNextHeader;
    bytes = datagram;
    cursor = 0;
    limit = datagram.length;
  }
  ip.protocol = nextHeader;
  if (nextHeader === ESP || nextHeader === NO_NEXT_HEADER) {
    packet.payload = bytes.subarray(cursor, limit);
    return;
  }
  context.decodeIpPayload(packet, nextHeader, bytes, cursor, limit, depth);
}
