import type { Packet } from '../core/index.ts';
import { addEncapsulation, type DecodeContext } from './decode-context.ts';
import { decodeEthernet } from './ethernet.ts';
import { decodeRawIp } from './raw-ip.ts';

/** ERSPAN type I and II share the GRE protocol; type II is the one with the GRE sequence bit. */
export const GRE_PROTOCOL_ERSPAN_2 = 0x88be;
export const GRE_PROTOCOL_ERSPAN_3 = 0x22eb;
const ERSPAN_2_HEADER_LENGTH = 8;
const ERSPAN_3_HEADER_LENGTH = 12;
const ERSPAN_3_PLATFORM_SUBHEADER_LENGTH = 8;
const ERSPAN_2_VERSION = 1;
const ERSPAN_3_VERSION = 2;
/** ERSPAN II "En": the mirrored frame was 802.1Q (or ISL) tagged and the tag was stripped */
const ENCAPSULATION_ISL = 1;
const ENCAPSULATION_8021Q = 2;
const FRAME_TYPE_ETHERNET = 0;
const FRAME_TYPE_IP = 2;

/**
 * ERSPAN type I (no header), II (8 bytes) and III (12 bytes, plus an 8-byte platform subheader
 * when the O bit is set). The mirrored Ethernet frame inside gives the packet's MACs and VLAN;
 * when a type II session stripped the mirrored frame's tag, the header's VLAN id stands in.
 */
export function decodeErspan(context: DecodeContext, packet: Packet, type: 1 | 2 | 3, data: Buffer, offset: number, end: number, depth: number): void {
  context.count('decoder.erspan');
  if (type === 1) {
    addEncapsulation(packet, 'erspan1');
    decodeEthernet(context, packet, data, offset, end, depth);
    return;
  }
  if (type === 2) {
    if (end - offset < ERSPAN_2_HEADER_LENGTH) {
      context.anomaly(packet, 'erspan_truncated');
      return;
    }
    if (data[offset]! >> 4 !== ERSPAN_2_VERSION) context.anomaly(packet, 'erspan_bad_version');
    const headerVlan = data.readUInt16BE(offset) & 0x0fff;
    const tagEncapsulation = (data[offset + 2]! >> 3) & 0x3;
    addEncapsulation(packet, 'erspan2');
    decodeEthernet(context, packet, data, offset + ERSPAN_2_HEADER_LENGTH, end, depth);
    const tagStripped = tagEncapsulation === ENCAPSULATION_8021Q || tagEncapsulation === ENCAPSULATION_ISL;
    if (packet.vlan === -1 && tagStripped) packet.vlan = headerVlan;
    return;
  }
  if (end - offset < ERSPAN_3_HEADER_LENGTH) {
    context.anomaly(packet, 'erspan_truncated');
    return;
  }
  if (data[offset]! >> 4 !== ERSPAN_3_VERSION) context.anomaly(packet, 'erspan_bad_version');
  const lastWord = data.readUInt32BE(offset + 8);
  const frameType = (lastWord >>> 10) & 0x1f;
  const hasPlatformSubheader = (lastWord & 1) !== 0;
  const headerLength = ERSPAN_3_HEADER_LENGTH + (hasPlatformSubheader ? ERSPAN_3_PLATFORM_SUBHEADER_LENGTH : 0);
  if (end - offset < headerLength) {
    context.anomaly(packet, 'erspan_truncated');
    return;
  }
  addEncapsulation(packet, 'erspan3');
  if (frameType === FRAME_TYPE_ETHERNET) decodeEthernet(context, packet, data, offset + headerLength, end, depth);
  else if (frameType === FRAME_TYPE_IP) decodeRawIp(context, packet, data, offset + headerLength, end, depth);
  else context.anomaly(packet, 'erspan_unsupported_frame_type');
}
