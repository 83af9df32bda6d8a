/**
 * Packet builders for tests. The Ethernet/IP/transport builders live in src/capture (the demo command
 * and evidence pcaps use them too) and are re-exported here under the names the tests have always
 * used; what only tests need — cooked and loopback link layers, tunnels, ERSPAN, `frame()` — stays here.
 *
 *   const bytes = ethernet('02:00:00:00:00:01', '02:00:00:00:00:02', 0x0800,
 *     ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6 },
 *       tcp({ srcPort: 1234, dstPort: 80, seq: 1, flags: TcpFlag.SYN, options: tcpOptions({ mss: 1460 }) })));
 *   const packet = decoder.decode(frame(LinkType.ETHERNET, bytes, 1_700_000_000));
 */
import type { Frame } from '../../src/core/index.ts';
import { internetChecksum, macBytes } from '../../src/capture/index.ts';

export {
  arp,
  ethernet,
  ethernetTagged,
  icmp,
  icmpv6,
  internetChecksum,
  ipv4,
  ipv4Bytes,
  ipv6,
  ipv6Bytes,
  ipv6Extension,
  macBytes,
  macNumber,
  splitFragments,
  tcp,
  tcpOptions,
  udp,
  vlanTag,
  type Ipv4Options,
  type Ipv6Extension,
  type Ipv6Options,
  type TcpOptionSpec,
  type TcpSegmentOptions,
} from '../../src/capture/index.ts';

// ---------------------------------------------------------------- link layers

/** Linux cooked v1. `address` is the sender's MAC (or omitted). */
export function sll(options: { protocol: number; address?: string; packetType?: number; hardwareType?: number }, payload: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt16BE(options.packetType ?? 0, 0);
  header.writeUInt16BE(options.hardwareType ?? 1, 2);
  if (options.address !== undefined) {
    header.writeUInt16BE(6, 4);
    macBytes(options.address).copy(header, 6);
  }
  header.writeUInt16BE(options.protocol, 14);
  return Buffer.concat([header, payload]);
}

/** Linux cooked v2. */
export function sll2(
  options: { protocol: number; address?: string; packetType?: number; hardwareType?: number; interfaceIndex?: number },
  payload: Buffer,
): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(options.protocol, 0);
  header.writeUInt32BE(options.interfaceIndex ?? 1, 4);
  header.writeUInt16BE(options.hardwareType ?? 1, 8);
  header.writeUInt8(options.packetType ?? 0, 10);
  if (options.address !== undefined) {
    header.writeUInt8(6, 11);
    macBytes(options.address).copy(header, 12);
  }
  return Buffer.concat([header, payload]);
}

/** BSD loopback (LINKTYPE_NULL in host order, here little-endian, or LINKTYPE_LOOP in network order). */
export function nullLoop(family: number, payload: Buffer, byteOrder: 'little-endian' | 'network' = 'little-endian'): Buffer {
  const header = Buffer.alloc(4);
  if (byteOrder === 'network') header.writeUInt32BE(family, 0);
  else header.writeUInt32LE(family, 0);
  return Buffer.concat([header, payload]);
}

// ---------------------------------------------------------------- tunnels

export interface GreOptions {
  /** the carried protocol: 0x0800, 0x86dd, 0x6558 (Ethernet), 0x88be, 0x22eb … */
  protocol: number;
  checksum?: boolean;
  key?: number;
  sequence?: number;
  version?: number;
  routing?: boolean;
}

export function gre(options: GreOptions, payload: Buffer): Buffer {
  const flags =
    (options.checksum ? 0x8000 : 0) |
    (options.routing ? 0x4000 : 0) |
    (options.key !== undefined ? 0x2000 : 0) |
    (options.sequence !== undefined ? 0x1000 : 0) |
    ((options.version ?? 0) & 7);
  const fields: Buffer[] = [];
  const base = Buffer.alloc(4);
  base.writeUInt16BE(flags, 0);
  base.writeUInt16BE(options.protocol, 2);
  fields.push(base);
  const checksumField = Buffer.alloc(options.checksum ? 4 : 0);
  fields.push(checksumField);
  if (options.key !== undefined) fields.push(u32(options.key));
  if (options.sequence !== undefined) fields.push(u32(options.sequence));
  const out = Buffer.concat([...fields, payload]);
  if (options.checksum) out.writeUInt16BE(internetChecksum(out), 4);
  return out;
}

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
}

/** The GRE payload (GRE header included) of ERSPAN type I: GRE 0x88be without sequence number, no ERSPAN header. */
export function erspan1(mirroredFrame: Buffer): Buffer {
  return gre({ protocol: 0x88be }, mirroredFrame);
}

/** GRE (with sequence number) + 8-byte ERSPAN II header + mirrored frame. `tagEncapsulation` is the En field. */
export function erspan2(
  options: { sessionId: number; vlan?: number; tagEncapsulation?: number; sequence?: number; version?: number },
  mirroredFrame: Buffer,
): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(((options.version ?? 1) << 12) | ((options.vlan ?? 0) & 0x0fff), 0);
  header.writeUInt16BE((((options.tagEncapsulation ?? 0) & 3) << 11) | (options.sessionId & 0x3ff), 2);
  return gre({ protocol: 0x88be, sequence: options.sequence ?? 1 }, Buffer.concat([header, mirroredFrame]));
}

/** GRE + 12-byte ERSPAN III header (+ 8-byte platform subheader when asked) + mirrored frame. */
export function erspan3(
  options: { sessionId: number; vlan?: number; frameType?: number; platformSubheader?: boolean; timestamp?: number; sequence?: number; version?: number },
  mirroredFrame: Buffer,
): Buffer {
  const header = Buffer.alloc(12 + (options.platformSubheader ? 8 : 0));
  header.writeUInt16BE(((options.version ?? 2) << 12) | ((options.vlan ?? 0) & 0x0fff), 0);
  header.writeUInt16BE(options.sessionId & 0x3ff, 2);
  header.writeUInt32BE((options.timestamp ?? 0) >>> 0, 4);
  header.writeUInt32BE((((options.frameType ?? 0) & 0x1f) << 10) | (options.platformSubheader ? 1 : 0), 8);
  if (options.platformSubheader) header.writeUInt32BE(0x0c000000, 12); // platform id 3
  return gre({ protocol: 0x22eb, sequence: options.sequence ?? 1 }, Buffer.concat([header, mirroredFrame]));
}

// ---------------------------------------------------------------- frames

let nextFrameIndex = 0;

/** A Frame as capture would hand it on; `index` counts up per call unless given. */
export function frame(linkType: number, bytes: Buffer, seconds = 1_700_000_000, nanoseconds = 0, index = nextFrameIndex++): Frame {
  return { seconds, nanoseconds, linkType, originalLength: bytes.length, data: bytes, interfaceId: 0, fileOffset: -1, index };
}
