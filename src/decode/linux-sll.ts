import type { Packet } from '../core/index.ts';
import { readMac, type DecodeContext } from './decode-context.ts';

export const LINUX_SLL_HEADER_LENGTH = 16;
export const ARPHRD_ETHER = 1;
const ARPHRD_NETLINK = 824;
/** protocol values below this are Linux pseudo-protocols (802.3, 802.2 LLC, CAN …), not EtherTypes */
const MIN_ETHERTYPE = 0x0600;

/**
 * Linux "cooked" capture v1 (LINKTYPE_LINUX_SLL): packet type, ARPHRD type, address length,
 * 8 address bytes, protocol. The address is the sender's link-layer address, so it gives
 * `srcMac` when it is a 6-byte Ethernet address; there is no destination MAC.
 */
export function decodeLinuxSll(context: DecodeContext, packet: Packet, data: Buffer, end: number): void {
  if (end < LINUX_SLL_HEADER_LENGTH) {
    context.anomaly(packet, 'sll_truncated');
    return;
  }
  const hardwareType = data.readUInt16BE(2);
  if (hardwareType === ARPHRD_ETHER && data.readUInt16BE(4) === 6) packet.srcMac = readMac(data, 6);
  decodeCookedProtocol(context, packet, hardwareType, data.readUInt16BE(14), data, LINUX_SLL_HEADER_LENGTH, end);
}

/** Shared by SLL and SLL2: the protocol field is an EtherType unless it names a pseudo-protocol. */
export function decodeCookedProtocol(
  context: DecodeContext,
  packet: Packet,
  hardwareType: number,
  protocol: number,
  data: Buffer,
  offset: number,
  end: number,
): void {
  if (hardwareType === ARPHRD_NETLINK || protocol < MIN_ETHERTYPE) {
    context.count('decoder.non_ip');
    return;
  }
  context.decodeEtherType(packet, protocol, data, offset, end, 0);
}
