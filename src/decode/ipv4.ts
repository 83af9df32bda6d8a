import type { IpHeader, Packet } from '../core/index.ts';
import { NO_ENTRIES, type DecodeContext } from './decode-context.ts';
import { formatIpv4 } from './ip-address.ts';

export const IPV4_MIN_HEADER_LENGTH = 20;
const FLAG_DONT_FRAGMENT = 0x4000;
const FLAG_MORE_FRAGMENTS = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;

/**
 * IPv4. The total length bounds the packet, so Ethernet padding never reaches the transport
 * layer. A bad header checksum is counted (`ipv4_bad_checksum`) but the packet is decoded: the
 * victim may still accept it, and checksum offload makes outgoing packets look bad in captures.
 * A total length of 0 (TCP segmentation offload on the capturing host) means "up to the frame end".
 * Fragments go to the reassembler; the reassembled datagram is emitted with the final fragment's
 * frame and header fields, and `reassembled` set.
 */
export function decodeIpv4(context: DecodeContext, packet: Packet, data: Buffer, offset: number, end: number, depth: number): void {
  const available = end - offset;
  if (available < IPV4_MIN_HEADER_LENGTH) {
    context.anomaly(packet, 'ipv4_header_truncated');
    return;
  }
  const versionAndLength = data[offset]!;
  if (versionAndLength >> 4 !== 4) {
    context.anomaly(packet, 'ipv4_bad_version');
    return;
  }
  const headerLength = (versionAndLength & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER_LENGTH) {
    context.anomaly(packet, 'ipv4_bad_header_length');
    return;
  }
  if (headerLength > available) {
    context.anomaly(packet, 'ipv4_header_truncated');
    return;
  }
  const totalLength = data.readUInt16BE(offset + 2);
  let packetEnd = offset + totalLength;
  if (totalLength === 0) {
    context.anomaly(packet, 'ipv4_zero_total_length');
    packetEnd = end;
  } else if (totalLength < headerLength) {
    context.anomaly(packet, 'ipv4_bad_total_length');
    return;
  } else if (packetEnd > end) {
    context.anomaly(packet, 'ipv4_total_length_exceeds_frame');
    packetEnd = end;
  }
  if (!checksumIsValid(data, offset, headerLength)) context.anomaly(packet, 'ipv4_bad_checksum');
  if (headerLength > IPV4_MIN_HEADER_LENGTH && !optionsAreWellFormed(data, offset + IPV4_MIN_HEADER_LENGTH, offset + headerLength)) {
    context.anomaly(packet, 'ipv4_option_malformed');
  }

  const flagsAndOffset = data.readUInt16BE(offset + 6);
  const protocol = data[offset + 9]!;
  const ip: IpHeader = {
    version: 4,
    src: formatIpv4(data, offset + 12),
    dst: formatIpv4(data, offset + 16),
    protocol,
    ttl: data[offset + 8]!,
    id: data.readUInt16BE(offset + 4),
    totalLength,
    headerLength,
    reassembled: false,
    dontFragment: (flagsAndOffset & FLAG_DONT_FRAGMENT) !== 0,
    extensionHeaders: NO_ENTRIES,
  };
  packet.ip = ip;
  packet.etherType = 0x0800;
  context.count('decoder.ipv4');

  const moreFragments = (flagsAndOffset & FLAG_MORE_FRAGMENTS) !== 0;
  const fragmentOffset = (flagsAndOffset & FRAGMENT_OFFSET_MASK) * 8;
  if (!moreFragments && fragmentOffset === 0) {
    context.decodeIpPayload(packet, protocol, data, offset + headerLength, packetEnd, depth);
    return;
  }
  context.count('decoder.fragments');
  const key = '4 ' + ip.src + ' ' + ip.dst + ' ' + ip.id + ' ' + protocol;
  const fragmentPayload = data.subarray(offset + headerLength, packetEnd);
  const datagram = context.fragments.add(context, packet, key, context.nowSeconds, fragmentOffset, fragmentPayload, moreFragments, protocol);
  if (datagram === null) {
    context.hold();
    return;
  }
  ip.reassembled = true;
  ip.totalLength = headerLength + datagram.length;
  context.decodeIpPayload(packet, protocol, datagram, 0, datagram.length, depth);
}

/** The ones' complement sum of the header, including its checksum field, is 0xffff when valid. */
function checksumIsValid(data: Buffer, offset: number, headerLength: number): boolean {
  let sum = 0;
  // plain indexing: the bounds were checked by the caller, and this runs for every packet
  for (let cursor = offset; cursor < offset + headerLength; cursor += 2) sum += (data[cursor]! << 8) | data[cursor + 1]!;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

/** Options are type-length-value, except End of List (0) and No Operation (1). */
function optionsAreWellFormed(data: Buffer, offset: number, end: number): boolean {
  let cursor = offset;
  while (cursor < end) {
    const type = data[cursor]!;
    if (type === 0) return true;
    if (type === 1) {
      cursor++;
      continue;
    }
    if (cursor + 1 >= end) return false;
    const length = data[cursor + 1]!;
    if (length < 2 || cursor + length > end) return false;
    cursor += length;
  }
  return true;
}
