import type { Encapsulation, Packet } from '../core/index.ts';
import type { DecoderAnomaly } from './anomalies.ts';
import type { FragmentReassembler } from './fragment-reassembler.ts';

/**
 * What a protocol decoder may ask of the packet decoder that drives it. Protocol files depend on
 * this interface only, so they never import each other in a cycle: a layer that carries another
 * layer hands the inner bytes back through `decodeEtherType` or `decodeIpPayload`.
 *
 * Conventions for every decoder function: it reads `data[offset, end)`, never throws, records
 * problems with `anomaly`, and fills the fields of `packet` it understands.
 */
export interface DecodeContext {
  /** time of the frame being decoded, seconds since 1970 */
  readonly nowSeconds: number;
  readonly maxEncapsulationDepth: number;
  readonly fragments: FragmentReassembler;
  anomaly(packet: Packet, name: DecoderAnomaly): void;
  /** bumps a counter; callers pass the whole constant name (`'decoder.tcp'`) so no string is built per packet */
  count(counter: string): void;
  /** the packet is held (a fragment waiting for the rest of its datagram): emit nothing */
  hold(): void;
  /** the network layer named by an EtherType (VLAN tags, IPv4, IPv6, ARP, anything else) */
  decodeEtherType(packet: Packet, etherType: number, data: Buffer, offset: number, end: number, depth: number): void;
  /** what an IP header (after extension headers) says comes next */
  decodeIpPayload(packet: Packet, protocol: number, data: Buffer, offset: number, end: number, depth: number): void;
}

/** Shared empty payload; a zero-length Buffer cannot be written through. */
export const EMPTY_PAYLOAD: Buffer = Buffer.alloc(0);

/**
 * Shared, frozen empty lists for a packet's anomalies, encapsulations and IPv4's extension headers:
 * almost every packet has none, and three fresh arrays per packet are a tenth of what decoding
 * allocates. Decoders replace them on the first entry ({@link addAnomaly}, {@link addEncapsulation});
 * frozen, so a stray push throws instead of changing every packet.
 */
export const NO_ENTRIES: never[] = Object.freeze([]) as unknown as never[];

export function addAnomaly(packet: Packet, name: string): void {
  if (packet.anomalies === NO_ENTRIES) packet.anomalies = [name];
  else packet.anomalies.push(name);
}

export function addEncapsulation(packet: Packet, encapsulation: Encapsulation): void {
  if (packet.encapsulations === NO_ENTRIES) packet.encapsulations = [encapsulation];
  else packet.encapsulations.push(encapsulation);
}

/** A MAC address as a 48-bit integer, exact in a double. */
export function readMac(data: Buffer, offset: number): number {
  return ((data[offset]! << 8) | data[offset + 1]!) * 0x1_0000_0000 + (((data[offset + 2]! << 24) | (data[offset + 3]! << 16) | (data[offset + 4]! << 8) | data[offset + 5]!) >>> 0);
}
