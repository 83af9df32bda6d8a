import type { Packet } from '../core/index.ts';
import { readMac, type DecodeContext } from './decode-context.ts';
import { ARPHRD_ETHER, decodeCookedProtocol } from './linux-sll.ts';

export const LINUX_SLL2_HEADER_LENGTH = 20;

/**
 * Linux "cooked" capture v2 (LINKTYPE_LINUX_SLL2): protocol, reserved, interface index, ARPHRD
 * type, packet type, address length, 8 address bytes. As with SLL the address is the sender's.
 */
export function decodeLinuxSll2(context: DecodeContext, packet: Packet, data: Buffer, end: number): void {
  if (end < LINUX_SLL2_HEADER_LENGTH) {
    context.anomaly(packet, 'sll2_truncated');
    return;
  }
  const hardwareType = data.readUInt16BE(8);
  if (hardwareType === ARPHRD_ETHER && data[11] === 6) packet.srcMac = readMac(data, 12);
  decodeCookedProtocol(context, packet, hardwareType, data.readUInt16BE(0), data, LINUX_SLL2_HEADER_LENGTH, end);
}
