import { type Counters, type Packet } from '../core/index.ts';
import type { IpMacObservation, IpMacSource } from './journal.ts';

const DHCP_SERVER_PORT = 67;
const DHCP_CLIENT_PORT = 68;
const DHCP_MAGIC = 0x63825363;
const DHCP_ACK = 5;
const ND_NEIGHBOR_SOLICITATION = 135;
const ND_NEIGHBOR_ADVERTISEMENT = 136;
const ND_OPTION_SOURCE_LINK_ADDRESS = 1;
const ND_OPTION_TARGET_LINK_ADDRESS = 2;

/** Frame-header guesses are weaker than ARP/DHCP/ND: they also name the router for remote hosts. */
const SOURCE_STRENGTH: Record<IpMacSource, number> = { arp: 3, dhcp: 3, nd: 3, frame: 1 };

export interface IpMacLearnerOptions {
  counters: Counters;
  /** re-emit an unchanged pair after this long so the journal interval's lastSeen moves on (5 min) */
  refreshSeconds?: number;
  /** pairs remembered in memory for deduplication; the oldest are forgotten beyond it */
  maxRemembered?: number;
}

/**
 * Learns IP→MAC pairs from what the mirror shows: ARP senders, DHCP acknowledgements, IPv6
 * neighbour discovery and, weakest, frame headers. Emits an observation only when a pair is new,
 * changed, or due for a refresh, so the journal sees a trickle instead of every packet.
 * Malformed DHCP/ND bodies are counted (`attribution.learn_malformed`), never thrown.
 */
export class IpMacLearner {
  private readonly counters: Counters;
  private readonly refreshSeconds: number;
  private readonly maxRemembered: number;
  private readonly remembered = new Map<string, { mac: number; source: IpMacSource; emittedSeconds: number }>();

  constructor(options: IpMacLearnerOptions) {
    this.counters = options.counters;
    this.refreshSeconds = options.refreshSeconds ?? 300;
    this.maxRemembered = options.maxRemembered ?? 100_000;
  }

  /** Observations worth journalling from one packet (usually none). */
  observe(packet: Packet): IpMacObservation[] {
    const seconds = packet.frame.seconds + packet.frame.nanoseconds / 1e9;
    const found: IpMacObservation[] = [];
    const add = (ip: string, mac: number, source: IpMacSource): void => {
      if (mac <= 0 || ip === '' || ip === '0.0.0.0' || ip === '::' || isMulticastMac(mac)) return;
      if (this.shouldEmit(ip, mac, source, seconds)) found.push({ ip, mac, vlan: packet.vlan, source, seconds });
    };
    if (packet.arp) add(packet.arp.senderIp, packet.arp.senderMac, 'arp');
    if (packet.ip && packet.udp) this.observeDhcp(packet, add);
    if (packet.ip && packet.icmp?.version === 6) this.observeNeighborDiscovery(packet, add);
    if (packet.ip) add(packet.ip.src, packet.srcMac, 'frame');
    return found;
  }

  private shouldEmit(ip: string, mac: number, source: IpMacSource, seconds: number): boolean {
    const previous = this.remembered.get(ip);
    if (previous && previous.mac === mac && seconds - previous.emittedSeconds < this.refreshSeconds) return false;
    // A frame-header guess does not overwrite a fresh ARP/DHCP/ND answer for the same IP.
    if (previous && previous.mac !== mac && SOURCE_STRENGTH[source] < SOURCE_STRENGTH[previous.source] && seconds - previous.emittedSeconds < this.refreshSeconds) {
      this.counters.add('attribution.learn_weaker_ignored');
      return false;
    }
    if (previous && previous.mac !== mac) this.counters.add('attribution.ip_mac_changed');
    this.remembered.delete(ip);
    this.remembered.set(ip, { mac, source, emittedSeconds: seconds });
    if (this.remembered.size > this.maxRemembered) {
      this.remembered.delete(this.remembered.keys().next().value!);
      this.counters.add('attribution.learn_forgotten');
    }
    this.counters.add(`attribution.learned.${source}`);
    return true;
  }

  private observeDhcp(packet: Packet, add: (ip: string, mac: number, source: IpMacSource) => void): void {
    const udp = packet.udp!;
    if (udp.srcPort !== DHCP_SERVER_PORT || udp.dstPort !== DHCP_CLIENT_PORT) return;
    const body = packet.payload;
    if (body.length < 240 || body.readUInt32BE(236) !== DHCP_MAGIC || body[2] !== 6) {
      this.counters.add('attribution.learn_malformed');
      return;
    }
    if (dhcpMessageType(body) !== DHCP_ACK) return;
    const yourIp = `${body[16]}.${body[17]}.${body[18]}.${body[19]}`;
    add(yourIp, readMac(body, 28), 'dhcp');
  }

  private observeNeighborDiscovery(packet: Packet, add: (ip: string, mac: number, source: IpMacSource) => void): void {
    const icmp = packet.icmp!;
    if (icmp.type !== ND_NEIGHBOR_SOLICITATION && icmp.type !== ND_NEIGHBOR_ADVERTISEMENT) return;
    // The ICMP body starts after type, code and checksum: 4 reserved/flag bytes, then the target.
    const body = packet.payload;
    if (body.length < 20) {
      this.counters.add('attribution.learn_malformed');
      return;
    }
    const wanted = icmp.type === ND_NEIGHBOR_SOLICITATION ? ND_OPTION_SOURCE_LINK_ADDRESS : ND_OPTION_TARGET_LINK_ADDRESS;
    const linkAddress = ndOption(body, 20, wanted);
    if (linkAddress === -2) {
      this.counters.add('attribution.learn_malformed');
      return;
    }
    if (icmp.type === ND_NEIGHBOR_SOLICITATION) add(packet.ip!.src, linkAddress, 'nd');
    else add(formatIpv6(body.subarray(4, 20)), linkAddress > 0 ? linkAddress : packet.srcMac, 'nd');
  }
}

function dhcpMessageType(body: Buffer): number {
  let offset = 240;
  while (offset < body.length) {
    const code = body[offset]!;
    if (code === 255) break;
    if (code === 0) {
      offset++;
      continue;
    }
    const length = body[offset + 1];
    if (length === undefined || offset + 2 + length > body.length) return -1;
    if (code === 53 && length === 1) return body[offset + 2]!;
    offset += 2 + length;
  }
  return -1;
}

/** The MAC in an ND link-layer option of the wanted type; -1 when absent, -2 when malformed. */
function ndOption(body: Buffer, offset: number, wanted: number): number {
  while (offset + 2 <= body.length) {
    const type = body[offset]!;
    const length = body[offset + 1]! * 8;
    if (length === 0 || offset + length > body.length) return -2;
    if (type === wanted && length >= 8) return readMac(body, offset + 2);
    offset += length;
  }
  return -1;
}

function readMac(buffer: Buffer, offset: number): number {
  return buffer.readUIntBE(offset, 6);
}

function isMulticastMac(mac: number): boolean {
  return Math.floor(mac / 2 ** 40) % 2 === 1;
}

function formatIpv6(bytes: Buffer): string {
  const groups: number[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(bytes.readUInt16BE(index));
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength && end - start > 1) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const text = groups.map((group) => group.toString(16));
  if (bestStart < 0) return text.join(':');
  return `${text.slice(0, bestStart).join(':')}::${text.slice(bestStart + bestLength).join(':')}`;
}
