/**
 * Plain-data Packet builders for the flow tests: no bytes on the wire, just the decoded fields
 * the flow table reads.
 */
import { TcpFlag } from '../../src/core/index.ts';
import type { Packet } from '../../src/core/index.ts';
import { configSchema } from '../../src/config/index.ts';
import type { FlowConfig } from '../../src/config/index.ts';

export { TcpFlag };

export interface PacketSpec {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /** capture time in seconds (fractions allowed) */
  time?: number;
  payload?: Buffer | string;
  vlan?: number;
  innerVlan?: number;
  ttl?: number;
  srcMac?: number;
  /** frame length on the wire; default 54 + payload */
  length?: number;
}

export interface TcpSpec extends PacketSpec {
  seq: number;
  ack?: number;
  flags: number;
}

let frameIndex = 0;

function base(spec: PacketSpec, protocol: number, headerBytes: number): Packet {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0));
  const time = spec.time ?? 0;
  const seconds = Math.floor(time);
  const nanoseconds = Math.round((time - seconds) * 1e9);
  const length = spec.length ?? 14 + 20 + headerBytes + payload.length;
  return {
    frame: {
      seconds,
      nanoseconds,
      linkType: 1,
      originalLength: length,
      data: Buffer.alloc(0),
      interfaceId: 0,
      fileOffset: -1,
      index: frameIndex++,
    },
    srcMac: spec.srcMac ?? 0x020000000001,
    dstMac: 0x020000000002,
    vlan: spec.vlan ?? -1,
    innerVlan: spec.innerVlan ?? -1,
    etherType: 0x0800,
    encapsulations: [],
    ip: {
      version: 4,
      src: spec.src,
      dst: spec.dst,
      protocol,
      ttl: spec.ttl ?? 64,
      id: -1,
      totalLength: length - 14,
      headerLength: 20,
      reassembled: false,
      dontFragment: true,
      extensionHeaders: [],
    },
    arp: null,
    tcp: null,
    udp: null,
    icmp: null,
    payload,
    anomalies: [],
  };
}

export function tcp(spec: TcpSpec): Packet {
  const packet = base(spec, 6, 20);
  packet.tcp = {
    srcPort: spec.srcPort,
    dstPort: spec.dstPort,
    seq: spec.seq >>> 0,
    ack: (spec.ack ?? 0) >>> 0,
    flags: spec.flags,
    window: 65535,
    urgentPointer: 0,
    headerLength: 20,
    options: { kinds: [] },
  };
  return packet;
}

export function udp(spec: PacketSpec): Packet {
  const packet = base(spec, 17, 8);
  packet.udp = { srcPort: spec.srcPort, dstPort: spec.dstPort, length: 8 + packet.payload.length };
  return packet;
}

export function flowConfig(overrides: Partial<FlowConfig> = {}): FlowConfig {
  return { ...configSchema.parse({}).flow, ...overrides };
}

/**
 * A TCP conversation between a client and a server that tracks both sides' sequence numbers,
 * so a test says what is sent and gets the packets.
 */
export class Conversation {
  clientSeq: number;
  serverSeq: number;
  time: number;

  constructor(
    readonly client = { ip: '10.0.0.1', port: 40000 },
    readonly server = { ip: '10.0.0.2', port: 80 },
    options: { clientIsn?: number; serverIsn?: number; time?: number; vlan?: number; innerVlan?: number } = {},
  ) {
    this.clientSeq = options.clientIsn ?? 1000;
    this.serverSeq = options.serverIsn ?? 5000;
    this.time = options.time ?? 100;
    this.vlan = options.vlan;
    this.innerVlan = options.innerVlan;
  }

  private readonly vlan: number | undefined;
  private readonly innerVlan: number | undefined;

  fromClient(flags: number, payload: Buffer | string = '', seq = this.clientSeq, step = 0.001): Packet {
    this.time += step;
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const packet = tcp({
      src: this.client.ip,
      dst: this.server.ip,
      srcPort: this.client.port,
      dstPort: this.server.port,
      seq,
      ack: this.serverSeq,
      flags,
      payload: bytes,
      time: this.time,
      vlan: this.vlan,
      innerVlan: this.innerVlan,
      ttl: 128,
      srcMac: 0x0a0000000001,
    });
    const consumed = bytes.length + (flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0);
    if (seq === this.clientSeq) this.clientSeq = (this.clientSeq + consumed) >>> 0;
    return packet;
  }

  fromServer(flags: number, payload: Buffer | string = '', seq = this.serverSeq, step = 0.001): Packet {
    this.time += step;
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const packet = tcp({
      src: this.server.ip,
      dst: this.client.ip,
      srcPort: this.server.port,
      dstPort: this.client.port,
      seq,
      ack: this.clientSeq,
      flags,
      payload: bytes,
      time: this.time,
      vlan: this.vlan,
      innerVlan: this.innerVlan,
      ttl: 64,
      srcMac: 0x0b0000000002,
    });
    const consumed = bytes.length + (flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0);
    if (seq === this.serverSeq) this.serverSeq = (this.serverSeq + consumed) >>> 0;
    return packet;
  }

  handshake(): Packet[] {
    return [
      this.fromClient(TcpFlag.SYN),
      this.fromServer(TcpFlag.SYN | TcpFlag.ACK),
      this.fromClient(TcpFlag.ACK),
    ];
  }
}
