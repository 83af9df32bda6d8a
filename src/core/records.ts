/**
 * The records that pass between the pure stages: capture → Frame, decode → Packet, flow → Session.
 * They carry no behaviour so every stage can depend on them without depending on each other.
 */

/** LINKTYPE_ values from the tcpdump list (the pcap and pcapng link-type registry). */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/**
 * One captured frame. `data` is a view into the reader's buffer and is valid only until the
 * next frame is read: a stage that keeps bytes copies them.
 */
export interface Frame {
  /** capture time, whole seconds since 1970 (UTC) */
  seconds: number;
  /** 0..999_999_999 */
  nanoseconds: number;
  linkType: number;
  /** bytes on the wire, which may be more than `data.length` when the snapshot length cut it */
  originalLength: number;
  data: Buffer;
  /** pcapng interface id (0 for pcap and live) */
  interfaceId: number;
  /** byte offset of the record in its file, for error messages and evidence; -1 when live */
  fileOffset: number;
  /** 0-based index of this frame in its source */
  index: number;
}

export const IpProtocol = {
  ICMP: 1,
  IGMP: 2,
  TCP: 6,
  UDP: 17,
  GRE: 47,
  ICMPV6: 58,
  SCTP: 132,
} as const;

export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

export interface TcpOptions {
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  timestamp?: { value: number; echo: number };
  /** option kinds in the order they appeared, for fingerprinting */
  kinds: number[];
}

/** What an encapsulation layer was: outermost first. */
export type Encapsulation = 'vlan' | 'gre' | 'erspan1' | 'erspan2' | 'erspan3' | 'ipip' | 'ipv6-in-ip';

/**
 * A decoded packet: the innermost IP packet with its transport header, and the L2 facts of the
 * outermost frame it arrived in. Fields that do not apply are -1 (numbers) or null.
 */
export interface Packet {
  frame: Frame;
  /** MAC addresses as 48-bit integers (exact in a double); -1 when the link type has none */
  srcMac: number;
  dstMac: number;
  /** outermost 802.1Q VLAN id, -1 when untagged; `innerVlan` for QinQ */
  vlan: number;
  innerVlan: number;
  /** the EtherType (or its equivalent) of the network layer: 0x0800, 0x86dd, 0x0806 … */
  etherType: number;
  encapsulations: Encapsulation[];
  /** null when the frame carried no IP packet (ARP, STP, LLC …) */
  ip: IpHeader | null;
  arp: ArpPacket | null;
  tcp: TcpHeader | null;
  udp: UdpHeader | null;
  icmp: IcmpHeader | null;
  /** the transport payload (TCP/UDP data, ICMP body), a view into frame or reassembly buffers */
  payload: Buffer;
  /** names of anomalies seen while decoding this packet */
  anomalies: string[];
}

export interface IpHeader {
  version: 4 | 6;
  /** canonical text form: dotted quad, or RFC 5952 compressed IPv6 */
  src: string;
  dst: string;
  /** transport protocol after any IPv6 extension headers */
  protocol: number;
  /** IPv4 TTL or IPv6 hop limit */
  ttl: number;
  /** IPv4 identification, or IPv6 fragment id when fragmented; -1 when absent */
  id: number;
  /** total length of the IP packet including header as it was on the wire */
  totalLength: number;
  headerLength: number;
  /** true when this packet was put together from fragments */
  reassembled: boolean;
  dontFragment: boolean;
  /** IPv6 extension header types in order (empty for IPv4) */
  extensionHeaders: number[];
}

export interface ArpPacket {
  operation: number;
  senderMac: number;
  senderIp: string;
  targetMac: number;
  targetIp: string;
}

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  /** unsigned 32-bit */
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgentPointer: number;
  headerLength: number;
  options: TcpOptions;
}

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  length: number;
}

export interface IcmpHeader {
  version: 4 | 6;
  type: number;
  code: number;
}

/** Which side of a session sent something. */
export type Direction = 'to_server' | 'to_client';

/** A run of bytes one side sent before the other side spoke. */
export interface Turn {
  direction: Direction;
  /** time of the first segment in this turn */
  seconds: number;
  nanoseconds: number;
  data: Buffer;
}

export interface Endpoint {
  ip: string;
  port: number;
  /** MAC as 48-bit integer, -1 when unknown */
  mac: number;
  /** TTL/hop limit of the first packet this endpoint sent, -1 before it sent any */
  ttl: number;
}

export interface DirectionStats {
  frames: number;
  /** frame bytes as on the wire (tshark's count) */
  bytes: number;
  /** transport payload bytes, counting retransmissions once */
  payloadBytes: number;
  /** bytes that never arrived (holes in the sequence space) */
  missingBytes: number;
}

export type SessionEndReason = 'fin' | 'rst' | 'timeout' | 'evicted' | 'depth' | 'end_of_capture' | 'shutdown';

export interface Session {
  id: number;
  proto: 'tcp' | 'udp';
  /** the client: who sent the SYN, or failing that the first packet (with a port heuristic for mid-stream pick-up) */
  client: Endpoint;
  server: Endpoint;
  vlan: number;
  innerVlan: number;
  startSeconds: number;
  startNanoseconds: number;
  endSeconds: number;
  endNanoseconds: number;
  toServer: DirectionStats;
  toClient: DirectionStats;
  /** true when the capture did not show the handshake */
  midstream: boolean;
  /** true when the depth limit cut the payload */
  truncated: boolean;
  endReason: SessionEndReason;
  turns: Turn[];
  anomalies: string[];
}
