/**
 * Packet builders: the bytes of one layer with its payload, so layers nest outside-in. The demo
 * command, evidence pcaps (session-synthesizer.ts) and the tests all build traffic with these rather
 * than copying it from somewhere:
 *
 *   const bytes = ethernet('02:00:00:00:00:01', '02:00:00:00:00:02', 0x0800,
 *     ipv4({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 6 },
 *       tcp({ srcPort: 1234, dstPort: 80, seq: 1, flags: TcpFlag.SYN, options: tcpOptions({ mss: 1460 }) })));
 *
 * ipv4() and ipv6() fill in the TCP/UDP/ICMP/ICMPv6 checksum of the payload they wrap (pseudo header
 * included) unless the packet is a fragment or `transportChecksum: false`; ipv4() also computes its
 * own header checksum unless `badChecksum` is set. Override fields (`totalLength`, `version`,
 * `dataOffset` …) exist to build malformed packets on purpose.
 */
import { CrashtestError } from '../core/index.ts';

function invalid(message: string): CrashtestError {
  return new CrashtestError('CT_ERR_INVALID_ARGUMENT', message);
}

// ---------------------------------------------------------------- addresses

export function macBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || !parts.every((part) => /^[0-9a-fA-F]{1,2}$/.test(part))) throw invalid(`MAC address must be six hex bytes separated by ':', got '${mac}'`);
  return Buffer.from(parts.map((part) => parseInt(part, 16)));
}

/** The 48-bit integer the decoder reports for a MAC string. */
export function macNumber(mac: string): number {
  const bytes = macBytes(mac);
  return bytes.readUInt16BE(0) * 2 ** 32 + bytes.readUInt32BE(2);
}

export function ipv4Bytes(address: string): Buffer {
  const parts = address.split('.').map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : NaN));
  if (parts.length !== 4 || !parts.every((part) => part <= 255)) throw invalid(`IPv4 address must be a dotted quad, got '${address}'`);
  return Buffer.from(parts);
}

/** Parses any IPv6 text form ('::', embedded IPv4 tail included) into 16 bytes. */
export function ipv6Bytes(address: string): Buffer {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipv4Bytes(tail);
    text = text.slice(0, lastColon + 1) + v4.readUInt16BE(0).toString(16) + ':' + v4.readUInt16BE(2).toString(16);
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const halves = text.split('::');
  const head = parse(halves[0]!);
  const rest = halves.length > 1 ? parse(halves[1]!) : [];
  const groups = halves.length > 1 ? [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest] : head;
  if (groups.length !== 8 || halves.length > 2) throw invalid(`IPv6 address must have eight groups, got '${address}'`);
  const out = Buffer.alloc(16);
  groups.forEach((group, index) => out.writeUInt16BE(group, index * 2));
  return out;
}

// ---------------------------------------------------------------- checksums

/** Internet checksum (RFC 1071) over the concatenation of `parts`. */
export function internetChecksum(...parts: Buffer[]): number {
  const data = Buffer.concat(parts);
  let sum = 0;
  for (let index = 0; index + 1 < data.length; index += 2) sum += data.readUInt16BE(index);
  if (data.length % 2 === 1) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Offset of the checksum field inside a transport header, or -1 when the protocol has none we fill. */
function transportChecksumOffset(protocol: number): number {
  if (protocol === 6) return 16;
  if (protocol === 17) return 6;
  if (protocol === 1 || protocol === 58) return 2;
  return -1;
}

function fillTransportChecksum(protocol: number, segment: Buffer, pseudoHeader: Buffer | null): Buffer {
  const at = transportChecksumOffset(protocol);
  if (at < 0 || segment.length < at + 2) return segment;
  const out = Buffer.from(segment);
  out.writeUInt16BE(0, at);
  const sum = pseudoHeader === null ? internetChecksum(out) : internetChecksum(pseudoHeader, out);
  out.writeUInt16BE(protocol === 17 && sum === 0 ? 0xffff : sum, at);
  return out;
}

// ---------------------------------------------------------------- link layers

export function ethernet(src: string, dst: string, etherType: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(14);
  macBytes(dst).copy(header, 0);
  macBytes(src).copy(header, 6);
  header.writeUInt16BE(etherType, 12);
  return Buffer.concat([header, payload]);
}

/** What follows a 0x8100/0x88a8/0x9100 type field: the tag control info, then the next EtherType. */
export function vlanTag(id: number, etherType: number, payload: Buffer, priority = 0): Buffer {
  const tag = Buffer.alloc(4);
  tag.writeUInt16BE(((priority & 7) << 13) | (id & 0x0fff), 0);
  tag.writeUInt16BE(etherType, 2);
  return Buffer.concat([tag, payload]);
}

/** Ethernet with a stack of tags, outermost first: `[{ tpid: 0x88a8, id: 100 }, { tpid: 0x8100, id: 20 }]`. */
export function ethernetTagged(src: string, dst: string, tags: { tpid: number; id: number }[], etherType: number, payload: Buffer): Buffer {
  let inner = payload;
  let type = etherType;
  for (let index = tags.length - 1; index >= 0; index--) {
    inner = vlanTag(tags[index]!.id, type, inner);
    type = tags[index]!.tpid;
  }
  return ethernet(src, dst, type, inner);
}

export function arp(options: { operation: number; senderMac: string; senderIp: string; targetMac: string; targetIp: string }): Buffer {
  const out = Buffer.alloc(28);
  out.writeUInt16BE(1, 0);
  out.writeUInt16BE(0x0800, 2);
  out.writeUInt8(6, 4);
  out.writeUInt8(4, 5);
  out.writeUInt16BE(options.operation, 6);
  macBytes(options.senderMac).copy(out, 8);
  ipv4Bytes(options.senderIp).copy(out, 14);
  macBytes(options.targetMac).copy(out, 18);
  ipv4Bytes(options.targetIp).copy(out, 24);
  return out;
}

// ---------------------------------------------------------------- IP

export interface Ipv4Options {
  src: string;
  dst: string;
  protocol: number;
  ttl?: number;
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** in bytes (a multiple of 8) */
  fragOffset?: number;
  /** raw option bytes, padded here to a multiple of 4 */
  options?: Buffer;
  tos?: number;
  // overrides for malformed packets
  totalLength?: number;
  version?: number;
  /** in bytes; written as IHL = headerLength / 4 */
  headerLength?: number;
  badChecksum?: boolean;
  transportChecksum?: boolean;
}

export function ipv4(options: Ipv4Options, payload: Buffer): Buffer {
  const optionBytes = options.options ?? Buffer.alloc(0);
  const padded = Buffer.concat([optionBytes, Buffer.alloc((4 - (optionBytes.length % 4)) % 4)]);
  const header = Buffer.alloc(20 + padded.length);
  const headerLength = options.headerLength ?? header.length;
  header.writeUInt8(((options.version ?? 4) << 4) | ((headerLength / 4) & 0x0f), 0);
  header.writeUInt8(options.tos ?? 0, 1);
  header.writeUInt16BE(options.totalLength ?? header.length + payload.length, 2);
  header.writeUInt16BE(options.id ?? 0, 4);
  const flags = (options.dontFragment ? 0x4000 : 0) | (options.moreFragments ? 0x2000 : 0);
  header.writeUInt16BE(flags | ((options.fragOffset ?? 0) / 8), 6);
  header.writeUInt8(options.ttl ?? 64, 8);
  header.writeUInt8(options.protocol, 9);
  ipv4Bytes(options.src).copy(header, 12);
  ipv4Bytes(options.dst).copy(header, 16);
  padded.copy(header, 20);
  const checksum = internetChecksum(header);
  header.writeUInt16BE(options.badChecksum ? checksum ^ 0x5a5a : checksum, 10);
  const fragment = options.moreFragments || (options.fragOffset ?? 0) > 0;
  let body = payload;
  if (!fragment && options.transportChecksum !== false) {
    const pseudo = Buffer.alloc(12);
    ipv4Bytes(options.src).copy(pseudo, 0);
    ipv4Bytes(options.dst).copy(pseudo, 4);
    pseudo.writeUInt8(options.protocol, 9);
    pseudo.writeUInt16BE(payload.length, 10);
    body = fillTransportChecksum(options.protocol, payload, options.protocol === 1 ? null : pseudo);
  }
  return Buffer.concat([header, body]);
}

/** An IPv6 extension header; `fragment` is the 8-byte fragment header. */
export type Ipv6Extension =
  | { type: 0 | 43 | 60; body?: Buffer }
  | { type: 51; icv?: Buffer }
  | { type: 44; fragOffset: number; more: boolean; id: number };

export interface Ipv6Options {
  src: string;
  dst: string;
  /** the protocol after the extension headers */
  protocol: number;
  hopLimit?: number;
  extensions?: Ipv6Extension[];
  payloadLength?: number;
  version?: number;
  transportChecksum?: boolean;
}

export function ipv6Extension(extension: Ipv6Extension, nextHeader: number): Buffer {
  if (extension.type === 44) {
    const out = Buffer.alloc(8);
    out.writeUInt8(nextHeader, 0);
    out.writeUInt16BE((extension.fragOffset & 0xfff8) | (extension.more ? 1 : 0), 2);
    out.writeUInt32BE(extension.id >>> 0, 4);
    return out;
  }
  if (extension.type === 51) {
    const icv = extension.icv ?? Buffer.alloc(12);
    const out = Buffer.alloc(12 + icv.length);
    out.writeUInt8(nextHeader, 0);
    out.writeUInt8(out.length / 4 - 2, 1);
    out.writeUInt32BE(0x1000, 4); // SPI
    out.writeUInt32BE(1, 8); // sequence
    icv.copy(out, 12);
    return out;
  }
  const body = extension.body ?? Buffer.alloc(0);
  const length = Math.ceil((2 + body.length) / 8) * 8;
  const out = Buffer.alloc(Math.max(8, length));
  out.writeUInt8(nextHeader, 0);
  out.writeUInt8(out.length / 8 - 1, 1);
  body.copy(out, 2); // the rest stays zero: Pad1 options
  return out;
}

export function ipv6(options: Ipv6Options, payload: Buffer): Buffer {
  const extensions = options.extensions ?? [];
  const extensionBytes = extensions.map((extension, index) =>
    ipv6Extension(extension, index + 1 < extensions.length ? extensions[index + 1]!.type : options.protocol),
  );
  const fragmented = extensions.some((extension) => extension.type === 44 && (extension.more || extension.fragOffset > 0));
  let body = payload;
  if (!fragmented && options.transportChecksum !== false) {
    const pseudo = Buffer.alloc(40);
    ipv6Bytes(options.src).copy(pseudo, 0);
    ipv6Bytes(options.dst).copy(pseudo, 16);
    pseudo.writeUInt32BE(payload.length, 32);
    pseudo.writeUInt8(options.protocol, 39);
    body = fillTransportChecksum(options.protocol, payload, pseudo);
  }
  const rest = Buffer.concat([...extensionBytes, body]);
  const header = Buffer.alloc(40);
  header.writeUInt32BE(((options.version ?? 6) << 28) >>> 0, 0);
  header.writeUInt16BE(options.payloadLength ?? rest.length, 4);
  header.writeUInt8(extensions.length > 0 ? extensions[0]!.type : options.protocol, 6);
  header.writeUInt8(options.hopLimit ?? 64, 7);
  ipv6Bytes(options.src).copy(header, 8);
  ipv6Bytes(options.dst).copy(header, 24);
  return Buffer.concat([header, rest]);
}

/**
 * Splits an IP payload into fragments of at most `size` bytes (a multiple of 8) and returns
 * `[offset, bytes, more]` triples, for building ipv4()/ipv6() fragments.
 */
export function splitFragments(payload: Buffer, size: number): { fragOffset: number; data: Buffer; more: boolean }[] {
  const out: { fragOffset: number; data: Buffer; more: boolean }[] = [];
  for (let offset = 0; offset < payload.length; offset += size) {
    out.push({ fragOffset: offset, data: payload.subarray(offset, offset + size), more: offset + size < payload.length });
  }
  return out;
}

// ---------------------------------------------------------------- transport

export interface TcpOptionSpec {
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  timestamp?: [value: number, echo: number];
}

/** Encodes options in the order Linux sends them in a SYN: MSS, SACK-permitted, timestamps, NOP, window scale. */
export function tcpOptions(spec: TcpOptionSpec): Buffer {
  const parts: Buffer[] = [];
  if (spec.mss !== undefined) parts.push(Buffer.from([2, 4, spec.mss >> 8, spec.mss & 0xff]));
  if (spec.sackPermitted) parts.push(Buffer.from([4, 2]));
  if (spec.timestamp !== undefined) {
    const ts = Buffer.alloc(10);
    ts.writeUInt8(8, 0);
    ts.writeUInt8(10, 1);
    ts.writeUInt32BE(spec.timestamp[0] >>> 0, 2);
    ts.writeUInt32BE(spec.timestamp[1] >>> 0, 6);
    parts.push(ts);
  }
  if (spec.windowScale !== undefined) parts.push(Buffer.from([1, 3, 3, spec.windowScale]));
  return Buffer.concat(parts);
}

export interface TcpSegmentOptions {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  /** TcpFlag bits */
  flags?: number;
  window?: number;
  urgentPointer?: number;
  /** raw option bytes (see tcpOptions), padded here with EOL to a multiple of 4 */
  options?: Buffer;
  /** override, in bytes, for malformed headers */
  dataOffset?: number;
}

export function tcp(options: TcpSegmentOptions, payload: Buffer = Buffer.alloc(0)): Buffer {
  const optionBytes = options.options ?? Buffer.alloc(0);
  const padded = Buffer.concat([optionBytes, Buffer.alloc((4 - (optionBytes.length % 4)) % 4)]);
  const header = Buffer.alloc(20 + padded.length);
  header.writeUInt16BE(options.srcPort, 0);
  header.writeUInt16BE(options.dstPort, 2);
  header.writeUInt32BE((options.seq ?? 0) >>> 0, 4);
  header.writeUInt32BE((options.ack ?? 0) >>> 0, 8);
  header.writeUInt8((((options.dataOffset ?? header.length) / 4) & 0x0f) << 4, 12);
  header.writeUInt8(options.flags ?? 0x10, 13);
  header.writeUInt16BE(options.window ?? 65535, 14);
  header.writeUInt16BE(options.urgentPointer ?? 0, 18);
  padded.copy(header, 20);
  return Buffer.concat([header, payload]);
}

export function udp(options: { srcPort: number; dstPort: number; length?: number }, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(options.srcPort, 0);
  header.writeUInt16BE(options.dstPort, 2);
  header.writeUInt16BE(options.length ?? 8 + payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** ICMP or ICMPv6 message: type, code, checksum (filled by ipv4/ipv6), 4-byte rest of header, body. */
function icmpMessage(options: { type: number; code?: number; rest?: number }, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt8(options.type, 0);
  header.writeUInt8(options.code ?? 0, 1);
  header.writeUInt32BE((options.rest ?? 0) >>> 0, 4);
  return Buffer.concat([header, body]);
}

/** `rest` is the 4-byte rest of header, e.g. (id << 16) | sequence for an echo. */
export function icmp(options: { type: number; code?: number; rest?: number }, body: Buffer = Buffer.alloc(0)): Buffer {
  return icmpMessage(options, body);
}

export function icmpv6(options: { type: number; code?: number; rest?: number }, body: Buffer = Buffer.alloc(0)): Buffer {
  return icmpMessage(options, body);
}
