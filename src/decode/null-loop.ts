import type { Packet } from '../core/index.ts';
import type { DecodeContext } from './decode-context.ts';

export const NULL_HEADER_LENGTH = 4;
const AF_INET = 2;
/** AF_INET6 differs between the BSDs: NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30 (and Linux 10) */
const AF_INET6_VALUES = [24, 28, 30, 10];

/**
 * BSD loopback: a 4-byte address family. LINKTYPE_NULL stores it in the capturing host's byte
 * order, LINKTYPE_LOOP in network order; neither is trusted: a family is a small number, so
 * whichever reading is small is the right one.
 */
export function decodeNullLoop(context: DecodeContext, packet: Packet, data: Buffer, end: number, networkOrder: boolean): void {
  if (end < NULL_HEADER_LENGTH) {
    context.anomaly(packet, 'null_truncated');
    return;
  }
  let family = networkOrder ? data.readUInt32BE(0) : data.readUInt32LE(0);
  if (family > 0xffff) family = networkOrder ? data.readUInt32LE(0) : data.readUInt32BE(0);
  if (family === AF_INET) {
    context.decodeEtherType(packet, 0x0800, data, NULL_HEADER_LENGTH, end, 0);
  } else if (AF_INET6_VALUES.includes(family)) {
    context.decodeEtherType(packet, 0x86dd, data, NULL_HEADER_LENGTH, end, 0);
  } else {
    context.count('decoder.non_ip');
  }
}
