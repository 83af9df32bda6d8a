import type { Packet } from '../core/index.ts';
import { readMac, type DecodeContext } from './decode-context.ts';
import { formatIpv4 } from './ip-address.ts';

const ARP_FIXED_LENGTH = 8;
const ARP_ETHERNET_IPV4_LENGTH = 28;

/** ARP over Ethernet for IPv4 (hardware length 6, protocol 0x0800, length 4); other forms are counted only. */
export function decodeArp(context: DecodeContext, packet: Packet, data: Buffer, offset: number, end: number): void {
  if (end - offset < ARP_FIXED_LENGTH) {
    context.anomaly(packet, 'arp_truncated');
    return;
  }
  context.count('decoder.arp');
  const protocolType = data.readUInt16BE(offset + 2);
  if (data[offset + 4] !== 6 || data[offset + 5] !== 4 || protocolType !== 0x0800) {
    context.anomaly(packet, 'arp_unsupported_format');
    return;
  }
  if (end - offset < ARP_ETHERNET_IPV4_LENGTH) {
    context.anomaly(packet, 'arp_truncated');
    return;
  }
  packet.arp = {
    operation: data.readUInt16BE(offset + 6),
    senderMac: readMac(data, offset + 8),
    senderIp: formatIpv4(data, offset + 14),
    targetMac: readMac(data, offset + 18),
    targetIp: formatIpv4(data, offset + 24),
  };
}
