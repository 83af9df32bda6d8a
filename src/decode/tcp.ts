import type { Packet, TcpOptions } from '../core/index.ts';
import type { DecodeContext } from './decode-context.ts';

export const TCP_MIN_HEADER_LENGTH = 20;

const OPTION_END = 0;
const OPTION_NOP = 1;
const OPTION_MSS = 2;
const OPTION_WINDOW_SCALE = 3;
const OPTION_SACK_PERMITTED = 4;
const OPTION_SACK = 5;
const OPTION_TIMESTAMP = 8;
const NO_KINDS: number[] = [];

/**
 * TCP. A header that is too short or whose data offset does not fit leaves `packet.tcp` null (a
 * real stack drops such a segment, so the flow stage must not see it as one); the anomaly says why.
 * The checksum is not verified. Malformed options are recorded and the options walk stops there,
 * but the segment is still decoded: stacks differ on what they accept, and attacks live there.
 */
export function decodeTcp(context: DecodeContext, packet: Packet, data: Buffer, offset: number, end: number): void {
  if (end - offset < TCP_MIN_HEADER_LENGTH) {
    context.anomaly(packet, 'tcp_header_truncated');
    return;
  }
  const headerLength = (data[offset + 12]! >> 4) * 4;
  if (headerLength < TCP_MIN_HEADER_LENGTH || headerLength > end - offset) {
    context.anomaly(packet, 'tcp_bad_data_offset');
    return;
  }
  packet.tcp = {
    srcPort: data.readUInt16BE(offset),
    dstPort: data.readUInt16BE(offset + 2),
    seq: data.readUInt32BE(offset + 4),
    ack: data.readUInt32BE(offset + 8),
    flags: data[offset + 13]!,
    window: data.readUInt16BE(offset + 14),
    urgentPointer: data.readUInt16BE(offset + 18),
    headerLength,
    options: decodeTcpOptions(context, packet, data, offset + TCP_MIN_HEADER_LENGTH, offset + headerLength),
  };
  // pure ACKs are common: no view needed for them
  if (offset + headerLength < end) packet.payload = data.subarray(offset + headerLength, end);
  context.count('decoder.tcp');
}

/**
 * Option kinds of the segment being decoded, then copied out at their exact count: pushing onto a
 * fresh array reserves room for 16, the largest allocation of a typical segment.
 */
const kindsSeen: number[] = [];

/** Every field is present (undefined when the option was absent) so all option objects share one shape. */
export function decodeTcpOptions(context: DecodeContext, packet: Packet, data: Buffer, offset: number, end: number): TcpOptions {
  const options: TcpOptions = { mss: undefined, windowScale: undefined, sackPermitted: false, timestamp: undefined, kinds: NO_KINDS };
  let kindCount = 0;
  let cursor = offset;
  while (cursor < end) {
    const kind = data[cursor]!;
    kindsSeen[kindCount++] = kind;
    if (kind === OPTION_END) break;
    if (kind === OPTION_NOP) {
      cursor++;
      continue;
    }
    if (end - cursor < 2) {
      context.anomaly(packet, 'tcp_option_truncated');
      break;
    }
    const length = data[cursor + 1]!;
    if (length < 2) {
      context.anomaly(packet, 'tcp_option_bad_length');
      break;
    }
    if (length > end - cursor) {
      context.anomaly(packet, 'tcp_option_truncated');
      break;
    }
    if (!readKnownOption(options, kind, length, data, cursor)) context.anomaly(packet, 'tcp_option_bad_length');
    cursor += length;
  }
  options.kinds = kindCount === 0 ? [] : kindsSeen.slice(0, kindCount);
  return options;
}

/** False when a known option has the wrong length (the option is then ignored). */
function readKnownOption(options: TcpOptions, kind: number, length: number, data: Buffer, offset: number): boolean {
  switch (kind) {
    case OPTION_MSS:
      if (length !== 4) return false;
      options.mss = data.readUInt16BE(offset + 2);
      return true;
    case OPTION_WINDOW_SCALE:
      if (length !== 3) return false;
      options.windowScale = data[offset + 2]!;
      return true;
    case OPTION_SACK_PERMITTED:
      if (length !== 2) return false;
      options.sackPermitted = true;
      return true;
    case OPTION_SACK:
      return (length - 2) % 8 === 0 && length > 2;
    case OPTION_TIMESTAMP:
      if (length !== 10) return false;
      options.timestamp = { value: data.readUInt32BE(offset + 2), echo: data.readUInt32BE(offset + 6) };
      return true;
    default:
      return true;
  }
}
