import type { Packet } from '../core/index.ts';
import type { DecodeContext } from './decode-context.ts';

/**
 * Raw IP (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6; ERSPAN III frame type 2): the version
 * nibble decides, whatever the link type claims.
 */
export function decodeRawIp(context: DecodeContext, packet: Packet, data: Buffer, offset: number, end: number, depth: number): void {
  if (end - offset < 1) {
    context.anomaly(packet, 'raw_truncated');
    return;
  }
  const version = data[offset]! >> 4;
  if (version === 4) context.decodeEtherType(packet, 0x0800, data, offset, end, depth);
  else if (version === 6) context.decodeEtherType(packet, 0x86dd, data, offset, end, depth);
  else context.anomaly(packet, 'raw_unknown_version');
}
