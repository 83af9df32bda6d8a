import type { Packet } from '../core/index.ts';
import { readMac, type DecodeContext } from './decode-context.ts';

export const ETHERNET_HEADER_LENGTH = 14;
/** type/length values up to this are 802.3 lengths, not EtherTypes */
export const MAX_8023_LENGTH = 1500;

/**
 * Ethernet II, and 802.3 frames: LLC with SNAP (OUI 0) continues with the SNAP EtherType, any
 * other LLC frame (STP, NetBIOS, IPX …) is non-IP with `etherType` -1. Used for the outer frame
 * and for Ethernet carried in GRE/ERSPAN; either way the MACs and VLAN tags become the packet's
 * L2 facts, so a tunnelled frame reports the mirrored host, not the tunnel endpoints.
 */
export function decodeEthernet(context: DecodeContext, packet: Packet, data: Buffer, offset: number, end: number, depth: number): void {
  if (end - offset < ETHERNET_HEADER_LENGTH) {
    context.anomaly(packet, 'ethernet_truncated');
    return;
  }
  packet.dstMac = readMac(data, offset);
  packet.srcMac = readMac(data, offset + 6);
  packet.vlan = -1;
  packet.innerVlan = -1;
  const typeOrLength = data.readUInt16BE(offset + 12);
  if (typeOrLength > MAX_8023_LENGTH) {
    context.decodeEtherType(packet, typeOrLength, data, offset + ETHERNET_HEADER_LENGTH, end, depth);
    return;
  }
  decodeLlc(context, packet, data, offset + ETHERNET_HEADER_LENGTH, Math.min(end, offset + ETHERNET_HEADER_LENGTH + typeOrLength), depth);
}

function decodeLlc(context: DecodeContext, packet: Packet, data: Buffer, offset: number, end: number, depth: number): void {
  if (end - offset < 3) {
    context.anomaly(packet, 'llc_truncated');
    return;
  }
  const isSnap = data[offset] === 0xaa && data[offset + 1] === 0xaa && data[offset + 2] === 0x03;
  packet.etherType = -1;
  if (isSnap && end - offset >= 8 && data.readUIntBE(offset + 3, 3) === 0) {
    context.decodeEtherType(packet, data.readUInt16BE(offset + 6), data, offset + 8, end, depth);
    return;
  }
  context.count('decoder.non_ip');
}
