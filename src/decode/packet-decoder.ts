import { LinkType, IpProtocol, type Counters, type Frame, type Packet } from '../core/index.ts';
import type { DecodeConfig } from '../config/index.ts';
import { DECODER_ANOMALIES, type DecoderAnomaly } from './anomalies.ts';
import { decodeArp } from './arp.ts';
import { addAnomaly, addEncapsulation, EMPTY_PAYLOAD, NO_ENTRIES, type DecodeContext } from './decode-context.ts';
import { decodeEthernet, MAX_8023_LENGTH } from './ethernet.ts';
import { FragmentReassembler } from './fragment-reassembler.ts';
import { decodeGre } from './gre.ts';
import { decodeIcmp } from './icmp.ts';
import { decodeIpv4 } from './ipv4.ts';
import { decodeIpv6 } from './ipv6.ts';
import { decodeLinuxSll } from './linux-sll.ts';
import { decodeLinuxSll2 } from './linux-sll2.ts';
import { decodeNullLoop } from './null-loop.ts';
import { decodeRawIp } from './raw-ip.ts';
import { decodeTcp } from './tcp.ts';
import { decodeUdp } from './udp.ts';
import { decodeVlanTags, isVlanEtherType } from './vlan.ts';

/** the BSD DLT_RAW values some old pcap files carry instead of LINKTYPE_RAW */
const DLT_RAW_BSD = 12;
const DLT_RAW_OPENBSD = 14;
const IP_PROTOCOL_IPIP = 4;
const IP_PROTOCOL_IPV6 = 41;
/** how often (in capture seconds) decode sweeps timed-out fragments */
const FRAGMENT_SWEEP_INTERVAL_SECONDS = 1;

const COUNTER_NAMES: Record<string, string> = Object.fromEntries(DECODER_ANOMALIES.map((name) => [name, `decoder.${name}`]));

export interface PacketDecoderStats {
  /** frames given to `decode` */
  frames: number;
  /** packets returned (frames minus held fragments) */
  emitted: number;
  /** frames that returned null: fragments waiting, or dropped by the reassembler */
  held: number;
  pendingDatagrams: number;
  fragmentBytesHeld: number;
  reassembled: number;
}

/**
 * Frames in, packets out. Hostile input never throws: each problem becomes a named anomaly on the
 * packet (see anomalies.ts) and a `decoder.<name>` counter. Totals are counted too: `decoder.packets`,
 * `decoder.ipv4`, `decoder.ipv6`, `decoder.tcp`, `decoder.udp`, `decoder.icmp`, `decoder.icmpv6`,
 * `decoder.arp`, `decoder.non_ip`, `decoder.vlan`, `decoder.gre`, `decoder.erspan`, `decoder.ipip`,
 * `decoder.fragments` (IP headers, so a tunnelled packet counts each of its IP layers).
 *
 * Tunnels (GRE, ERSPAN, IP-in-IP, IPv6-in-IP): the packet's `ip`/transport fields describe the
 * innermost IP packet and `encapsulations` lists the layers outermost first. For Ethernet carried in
 * GRE or ERSPAN the MACs and VLAN come from the inner frame: that is the mirrored host, the one the
 * attribution stage must find on a switch port. Tunnel layers beyond `maxEncapsulationDepth` are
 * not opened (`encapsulation_too_deep`); the packet then ends at the last decoded IP layer.
 *
 * A reassembled IP datagram is emitted with the frame of the fragment that completed it (usually
 * the last one), as tshark attributes a reassembled datagram to its last fragment's frame.
 */
export class PacketDecoder implements DecodeContext {
  readonly fragments: FragmentReassembler;
  readonly maxEncapsulationDepth: number;
  nowSeconds = 0;
  private holding = false;
  private nextSweepSeconds = 0;
  private frames = 0;
  private emitted = 0;

  constructor(
    config: DecodeConfig,
    private readonly counters: Counters,
  ) {
    this.fragments = new FragmentReassembler(config, counters);
    this.maxEncapsulationDepth = config.maxEncapsulationDepth;
  }

  get stats(): PacketDecoderStats {
    const fragments = this.fragments.stats;
    return {
      frames: this.frames,
      emitted: this.emitted,
      held: this.frames - this.emitted,
      pendingDatagrams: fragments.pendingDatagrams,
      fragmentBytesHeld: fragments.bytesHeld,
      reassembled: fragments.reassembled,
    };
  }

  /** Decodes one frame; null when nothing is emitted yet (a fragment held for reassembly, or dropped). */
  decode(frame: Frame): Packet | null {
    this.frames++;
    this.counters.add('decoder.packets');
    this.nowSeconds = frame.seconds + frame.nanoseconds / 1e9;
    this.holding = false;
    const packet: Packet = {
      frame,
      srcMac: -1,
      dstMac: -1,
      vlan: -1,
      innerVlan: -1,
      etherType: -1,
      encapsulations: NO_ENTRIES,
      ip: null,
      arp: null,
      tcp: null,
      udp: null,
      icmp: null,
      payload: EMPTY_PAYLOAD,
      anomalies: NO_ENTRIES,
    };
    this.decodeLink(packet, frame.data);
    // also sweep when capture time jumps backwards (merged captures), or the sweep would stall
    const sinceSweep = this.nowSeconds - this.nextSweepSeconds;
    if (sinceSweep >= 0 || sinceSweep < -2 * FRAGMENT_SWEEP_INTERVAL_SECONDS) this.expire(this.nowSeconds);
    if (this.holding) return null;
    this.emitted++;
    return packet;
  }

  /** Drops fragments whose timeout has passed (decode also calls this as capture time advances). */
  expire(nowSeconds: number): void {
    this.fragments.expire(nowSeconds);
    this.nextSweepSeconds = nowSeconds + FRAGMENT_SWEEP_INTERVAL_SECONDS;
  }

  anomaly(packet: Packet, name: DecoderAnomaly): void {
    addAnomaly(packet, name);
    this.counters.add(COUNTER_NAMES[name]!);
  }

  count(counter: string): void {
    this.counters.add(counter);
  }

  hold(): void {
    this.holding = true;
  }

  decodeEtherType(packet: Packet, etherType: number, data: Buffer, offset: number, end: number, depth: number): void {
    let cursor = offset;
    packet.etherType = etherType;
    if (isVlanEtherType(etherType)) {
      cursor = decodeVlanTags(this, packet, data, offset, end);
      if (cursor < 0) return;
    }
    switch (packet.etherType) {
      case 0x0800:
        decodeIpv4(this, packet, data, cursor, end, depth);
        return;
      case 0x86dd:
        decodeIpv6(this, packet, data, cursor, end, depth);
        return;
      case 0x0806:
        decodeArp(this, packet, data, cursor, end);
        return;
      default:
        // an 802.3 length behind VLAN tags or SNAP (PVST+ BPDUs): LLC is not opened again, so a
        // chain of SNAP headers cannot recurse
        if (packet.etherType <= MAX_8023_LENGTH) packet.etherType = -1;
        this.count('decoder.non_ip');
    }
  }

  decodeIpPayload(packet: Packet, protocol: number, data: Buffer, offset: number, end: number, depth: number): void {
    switch (protocol) {
      case IpProtocol.TCP:
        decodeTcp(this, packet, data, offset, end);
        return;
      case IpProtocol.UDP:
        decodeUdp(this, packet, data, offset, end);
        return;
      case IpProtocol.ICMP:
        decodeIcmp(this, packet, data, offset, end, 4);
        return;
      case IpProtocol.ICMPV6:
        decodeIcmp(this, packet, data, offset, end, 6);
        return;
      case IpProtocol.GRE:
        if (this.tunnelAllowed(packet, data, offset, end, depth)) decodeGre(this, packet, data, offset, end, depth + 1);
        return;
      case IP_PROTOCOL_IPIP:
        if (!this.tunnelAllowed(packet, data, offset, end, depth)) return;
        addEncapsulation(packet, 'ipip');
        this.count('decoder.ipip');
        decodeIpv4(this, packet, data, offset, end, depth + 1);
        return;
      case IP_PROTOCOL_IPV6:
        if (!this.tunnelAllowed(packet, data, offset, end, depth)) return;
        addEncapsulation(packet, 'ipv6-in-ip');
        this.count('decoder.ipip');
        decodeIpv6(this, packet, data, offset, end, depth + 1);
        return;
      default:
        packet.payload = data.subarray(offset, end);
    }
  }

  private tunnelAllowed(packet: Packet, data: Buffer, offset: number, end: number, depth: number): boolean {
    if (depth < this.maxEncapsulationDepth) return true;
    this.anomaly(packet, 'encapsulation_too_deep');
    packet.payload = data.subarray(offset, end);
    return false;
  }

  private decodeLink(packet: Packet, data: Buffer): void {
    const end = data.length;
    switch (packet.frame.linkType) {
      case LinkType.ETHERNET:
        decodeEthernet(this, packet, data, 0, end, 0);
        return;
      case LinkType.LINUX_SLL:
        decodeLinuxSll(this, packet, data, end);
        return;
      case LinkType.LINUX_SLL2:
        decodeLinuxSll2(this, packet, data, end);
        return;
      case LinkType.RAW:
      case LinkType.IPV4:
      case LinkType.IPV6:
      case DLT_RAW_BSD:
      case DLT_RAW_OPENBSD:
        decodeRawIp(this, packet, data, 0, end, 0);
        return;
      case LinkType.NULL:
        decodeNullLoop(this, packet, data, end, false);
        return;
      case LinkType.LOOP:
        decodeNullLoop(this, packet, data, end, true);
        return;
      default:
        this.anomaly(packet, 'unsupported_link_type');
    }
  }
}
