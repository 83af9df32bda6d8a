/** Shared set-up for the decode tests: a decoder with default config and its counters. */
import { Counters, LinkType, type Packet } from '../../src/core/index.ts';
import { defaultConfig, type DecodeConfig } from '../../src/config/index.ts';
import { PacketDecoder } from '../../src/decode/index.ts';
import { ethernet, frame, ipv4, tcp } from '../helpers/packets.ts';

export const MAC_CLIENT = '02:00:00:00:00:01';
export const MAC_SERVER = '02:00:00:00:00:02';

export function makeDecoder(overrides: Partial<DecodeConfig> = {}): { decoder: PacketDecoder; counters: Counters } {
  const counters = new Counters();
  const decoder = new PacketDecoder({ ...defaultConfig().decode, ...overrides }, counters);
  return { decoder, counters };
}

/** Decodes bytes of the given link type and insists a packet comes out. */
export function decodeOne(bytes: Buffer, linkType: number = LinkType.ETHERNET, decoder = makeDecoder().decoder): Packet {
  const packet = decoder.decode(frame(linkType, bytes));
  if (packet === null) throw new Error('decoder held the packet');
  return packet;
}

/** A small IPv4/TCP packet for link-layer tests. */
export function tcpOverIpv4(payload = Buffer.from('hello')): Buffer {
  return ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6 }, tcp({ srcPort: 40000, dstPort: 80, seq: 1000, flags: 0x18 }, payload));
}

export function ethernetTcp(payload = Buffer.from('hello')): Buffer {
  return ethernet(MAC_CLIENT, MAC_SERVER, 0x0800, tcpOverIpv4(payload));
}
