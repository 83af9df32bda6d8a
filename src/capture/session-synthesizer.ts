/**
 * Makes the frames of a whole conversation from what each side said: a TCP handshake, data split at
 * the MSS with consistent sequence and acknowledgement numbers, an ACK after each turn and a FIN
 * exchange; or one UDP datagram per turn. Evidence pcaps of a dummy's egress and the demo capture
 * are built this way, because the containment keeps bytes per connection, not packets.
 */
import { CrashtestError, IpProtocol, LinkType, TcpFlag } from '../core/index.ts';
import type { Direction, Frame, Timestamp } from '../core/index.ts';
import { ethernet, ipv4, ipv6, tcp, tcpOptions, udp } from './packet-builders.ts';

export interface SynthesizedPeer {
  ip: string;
  port: number;
  /** default 02:00:00:00:00:01 for the client, 02:00:00:00:00:02 for the server */
  mac?: string;
}

export interface SynthesizedTurn {
  direction: Direction;
  data: Buffer;
  time: Timestamp;
}

export interface ExchangeSpec {
  client: SynthesizedPeer;
  server: SynthesizedPeer;
  turns: readonly SynthesizedTurn[];
  /** time of the first frame; default the first turn's time (or 0), less the handshake's few microseconds for TCP */
  start?: Timestamp;
}

export interface TcpExchangeSpec extends ExchangeSpec {
  /** largest segment payload, default 1460 (Ethernet with IPv4) */
  mss?: number;
  /** initial sequence numbers; fixed defaults keep synthesized files reproducible */
  clientSequence?: number;
  serverSequence?: number;
  /** how the connection ends: FIN both ways (default), a client RST, or not at all */
  close?: 'fin' | 'rst' | 'none';
}

const CLIENT_MAC = '02:00:00:00:00:01';
const SERVER_MAC = '02:00:00:00:00:02';
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** frames never share a timestamp, so readers keep their order */
const FRAME_SPACING_NANOSECONDS = 1000;
const MAX_MSS = 65_495;
const MAX_UDP_PAYLOAD_IPV4 = 65_507;
const MAX_UDP_PAYLOAD_IPV6 = 65_527;

/** Emits frames in order, each at its wanted time or just after the previous frame, whichever is later. */
class FrameEmitter {
  readonly frames: Frame[] = [];
  private clock: Timestamp | null = null;
  private readonly ipIds = new Map<'client' | 'server', number>([
    ['client', 1],
    ['server', 1],
  ]);
  private readonly ipv6: boolean;

  constructor(
    private readonly client: SynthesizedPeer,
    private readonly server: SynthesizedPeer,
  ) {
    const clientIsIpv6 = client.ip.includes(':');
    if (clientIsIpv6 !== server.ip.includes(':')) {
      throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `client ${client.ip} and server ${server.ip} must both be IPv4 or both IPv6`);
    }
    for (const peer of [client, server]) {
      if (!Number.isInteger(peer.port) || peer.port < 0 || peer.port > 0xffff) {
        throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `port must be an integer 0..65535, got ${peer.port} for ${peer.ip}`);
      }
    }
    this.ipv6 = clientIsIpv6;
  }

  get isIpv6(): boolean {
    return this.ipv6;
  }

  emit(side: 'client' | 'server', protocol: number, transport: Buffer, wanted: Timestamp): void {
    const from = side === 'client' ? this.client : this.server;
    const to = side === 'client' ? this.server : this.client;
    const id = this.ipIds.get(side)!;
    this.ipIds.set(side, (id + 1) & 0xffff);
    const packet = this.ipv6
      ? ipv6({ src: from.ip, dst: to.ip, protocol }, transport)
      : ipv4({ src: from.ip, dst: to.ip, protocol, id, dontFragment: protocol === IpProtocol.TCP }, transport);
    const fromMac = from.mac ?? (side === 'client' ? CLIENT_MAC : SERVER_MAC);
    const toMac = to.mac ?? (side === 'client' ? SERVER_MAC : CLIENT_MAC);
    const data = ethernet(fromMac, toMac, this.ipv6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4, packet);
    const time = this.clock === null || laterThan(wanted, this.clock) ? wanted : addNanoseconds(this.clock, FRAME_SPACING_NANOSECONDS);
    this.clock = time;
    this.frames.push({ ...time, linkType: LinkType.ETHERNET, originalLength: data.length, data, interfaceId: 0, fileOffset: -1, index: this.frames.length });
  }

  /** the time the next frame gets when it wants to be as early as possible */
  next(): Timestamp {
    return this.clock === null ? { seconds: 0, nanoseconds: 0 } : addNanoseconds(this.clock, FRAME_SPACING_NANOSECONDS);
  }
}

function laterThan(a: Timestamp, b: Timestamp): boolean {
  return a.seconds !== b.seconds ? a.seconds > b.seconds : a.nanoseconds > b.nanoseconds;
}

function addNanoseconds(time: Timestamp, nanoseconds: number): Timestamp {
  const total = time.nanoseconds + nanoseconds;
  return { seconds: time.seconds + Math.floor(total / 1e9), nanoseconds: ((total % 1e9) + 1e9) % 1e9 };
}

function startOf(spec: ExchangeSpec): Timestamp {
  return spec.start ?? spec.turns[0]?.time ?? { seconds: 0, nanoseconds: 0 };
}

/** The frames of a TCP connection carrying `turns`, Ethernet link type, `index` counting from 0. */
export function synthesizeTcpExchange(spec: TcpExchangeSpec): Frame[] {
  const mss = spec.mss ?? 1460;
  if (!Number.isInteger(mss) || mss < 1 || mss > MAX_MSS) {
    throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `mss must be an integer 1..${MAX_MSS}, got ${mss}`);
  }
  const emitter = new FrameEmitter(spec.client, spec.server);
  const ports = {
    client: { srcPort: spec.client.port, dstPort: spec.server.port },
    server: { srcPort: spec.server.port, dstPort: spec.client.port },
  };
  // next sequence number each side sends
  const sequence = { client: (spec.clientSequence ?? 0x1000_0000) >>> 0, server: (spec.serverSequence ?? 0x2000_0000) >>> 0 };
  const advance = (side: 'client' | 'server', bytes: number): void => {
    sequence[side] = (sequence[side] + bytes) >>> 0;
  };
  const segment = (side: 'client' | 'server', flags: number, time: Timestamp, payload?: Buffer, options?: Buffer): void => {
    const other = side === 'client' ? 'server' : 'client';
    const ack = flags & TcpFlag.ACK ? sequence[other] : 0;
    emitter.emit(side, IpProtocol.TCP, tcp({ ...ports[side], seq: sequence[side], ack, flags, options }, payload), time);
  };
  const mssOption = tcpOptions({ mss: Math.min(mss, emitter.isIpv6 ? 1440 : 1460) });

  // the handshake ends just before the first turn, so data frames carry the turns' own times
  const start = spec.start ?? addNanoseconds(startOf(spec), -3 * FRAME_SPACING_NANOSECONDS);
  segment('client', TcpFlag.SYN, start, undefined, mssOption);
  advance('client', 1);
  segment('server', TcpFlag.SYN | TcpFlag.ACK, emitter.next(), undefined, mssOption);
  advance('server', 1);
  segment('client', TcpFlag.ACK, emitter.next());

  for (const turn of spec.turns) {
    if (turn.data.length === 0) continue;
    const side = turn.direction === 'to_server' ? 'client' : 'server';
    for (let offset = 0; offset < turn.data.length; offset += mss) {
      const last = offset + mss >= turn.data.length;
      const payload = turn.data.subarray(offset, offset + mss);
      segment(side, TcpFlag.ACK | (last ? TcpFlag.PSH : 0), offset === 0 ? turn.time : emitter.next(), payload);
      advance(side, payload.length);
    }
    segment(side === 'client' ? 'server' : 'client', TcpFlag.ACK, emitter.next());
  }

  const close = spec.close ?? 'fin';
  if (close === 'fin') {
    segment('client', TcpFlag.FIN | TcpFlag.ACK, emitter.next());
    advance('client', 1);
    segment('server', TcpFlag.FIN | TcpFlag.ACK, emitter.next());
    advance('server', 1);
    segment('client', TcpFlag.ACK, emitter.next());
  } else if (close === 'rst') {
    segment('client', TcpFlag.RST | TcpFlag.ACK, emitter.next());
  }
  return emitter.frames;
}

/** One UDP datagram per non-empty turn, Ethernet link type, `index` counting from 0. */
export function synthesizeUdpExchange(spec: ExchangeSpec): Frame[] {
  const emitter = new FrameEmitter(spec.client, spec.server);
  const limit = emitter.isIpv6 ? MAX_UDP_PAYLOAD_IPV6 : MAX_UDP_PAYLOAD_IPV4;
  let first = true;
  for (const turn of spec.turns) {
    if (turn.data.length === 0) continue;
    if (turn.data.length > limit) {
      throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `a UDP datagram holds at most ${limit} bytes, a turn has ${turn.data.length}`);
    }
    const side = turn.direction === 'to_server' ? 'client' : 'server';
    const from = side === 'client' ? spec.client : spec.server;
    const to = side === 'client' ? spec.server : spec.client;
    emitter.emit(side, IpProtocol.UDP, udp({ srcPort: from.port, dstPort: to.port }, turn.data), first ? (spec.start ?? turn.time) : turn.time);
    first = false;
  }
  return emitter.frames;
}
