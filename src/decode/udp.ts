import type { Packet } from '../core/index.ts';
import type { DecodeContext } from './decode-context.ts';

export const UDP_HEADER_LENGTH = 8;

/**
 * UDP. When the length field disagrees with the IP payload length it is an anomaly; a shorter UDP
 * length bounds the payload (as the receiving stack would), a longer one is ignored.
 */
export function decodeUdp(context: DecodeContext, packet: Packet, data: Buffer, offset: number, end: number): void {
  if (end - offset < UDP_HEADER_LENGTH) {
    context.anomaly(packet, 'udp_header_truncated');
    return;
  }
  const length = data.readUInt16BE(offset + 4);
  let payloadEnd = end;
  if (length !== end - offset) {
    context.anomaly(packet, 'udp_length_mismatch');
    if (length >= UDP_HEADER_LENGTH && length < end - offset) payloadEnd = offset + length;
  }
  packet.udp = { srcPort: data.readUInt16BE(offset), dstPort: data.readUInt16BE(offset + 2), length };
  if (offset + UDP_HEADER_LENGTH < payloadEnd) packet.payload = data.subarray(offset + UDP_HEADER_LENGTH, payloadEnd);
  context.count('decoder.udp');
}
