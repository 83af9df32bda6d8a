import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkType, type Frame } from '../../src/core/index.ts';
import type { DecodeConfig } from '../../src/config/index.ts';
import { DECODER_ANOMALIES, type DecoderAnomaly } from '../../src/decode/index.ts';
import {
  arp, erspan1, erspan2, erspan3, ethernet, ethernetTagged, frame, gre, icmp, icmpv6, ipv4, ipv6, nullLoop, sll, sll2, tcp, tcpOptions, udp, vlanTag,
} from '../helpers/packets.ts';
import { makeDecoder, MAC_CLIENT, MAC_SERVER } from './decoder-fixture.ts';

const E = LinkType.ETHERNET;
const R = LinkType.RAW;
const segment = tcp({ srcPort: 1, dstPort: 2, options: tcpOptions({ mss: 1460, timestamp: [1, 2] }) }, Buffer.from('data'));
const v4 = (protocol: number, payload: Buffer, extra: Partial<Parameters<typeof ipv4>[0]> = {}): Buffer =>
  ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol, ...extra }, payload);
const v6 = (protocol: number, payload: Buffer, extra: Partial<Parameters<typeof ipv6>[0]> = {}): Buffer =>
  ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol, ...extra }, payload);
const eth = (etherType: number, payload: Buffer): Buffer => ethernet(MAC_CLIENT, MAC_SERVER, etherType, payload);
const greOver4 = (payload: Buffer): Buffer => v4(47, payload);
const mirrored = eth(0x0800, v4(6, segment));
const cut = (bytes: Buffer, length: number): Buffer => bytes.subarray(0, length);
const raw = (bytes: Buffer): Frame => frame(R, bytes);
const fragment = (id: number, fragOffset: number, more: boolean, data: Buffer, seconds = 1_700_000_000): Frame =>
  frame(R, v4(17, data, { id, fragOffset, moreFragments: more }), seconds);

/** For each anomaly: the config and frames that produce it. */
const CASES: Record<DecoderAnomaly, { config?: Partial<DecodeConfig>; frames: () => Frame[] }> = {
  unsupported_link_type: { frames: () => [frame(9999, Buffer.alloc(40))] },
  ethernet_truncated: { frames: () => [frame(E, Buffer.alloc(10))] },
  llc_truncated: { frames: () => [frame(E, eth(2, Buffer.from([0x42, 0x42])))] },
  vlan_truncated: { frames: () => [frame(E, eth(0x8100, Buffer.from([0, 1])))] },
  vlan_too_many_tags: {
    frames: () => [frame(E, ethernetTagged(MAC_CLIENT, MAC_SERVER, [{ tpid: 0x88a8, id: 1 }, { tpid: 0x8100, id: 2 }, { tpid: 0x8100, id: 3 }], 0x0800, v4(6, segment)))],
  },
  sll_truncated: { frames: () => [frame(LinkType.LINUX_SLL, Buffer.alloc(15))] },
  sll2_truncated: { frames: () => [frame(LinkType.LINUX_SLL2, Buffer.alloc(19))] },
  null_truncated: { frames: () => [frame(LinkType.NULL, Buffer.alloc(3))] },
  raw_truncated: { frames: () => [frame(R, Buffer.alloc(0))] },
  raw_unknown_version: { frames: () => [frame(R, Buffer.from([0x50, 0, 0, 0]))] },
  arp_truncated: { frames: () => [frame(E, eth(0x0806, Buffer.alloc(6)))] },
  arp_unsupported_format: {
    frames: () => {
      const bytes = arp({ operation: 1, senderMac: MAC_CLIENT, senderIp: '1.1.1.1', targetMac: MAC_SERVER, targetIp: '2.2.2.2' });
      bytes.writeUInt16BE(0x86dd, 2);
      return [frame(E, eth(0x0806, bytes))];
    },
  },
  ipv4_header_truncated: { frames: () => [raw(cut(v4(6, segment), 19))] },
  ipv4_bad_version: { frames: () => [frame(E, eth(0x0800, v6(6, segment)))] },
  ipv4_bad_header_length: { frames: () => [raw(v4(6, segment, { headerLength: 16 }))] },
  ipv4_bad_total_length: { frames: () => [raw(v4(6, segment, { totalLength: 12 }))] },
  ipv4_zero_total_length: { frames: () => [raw(v4(6, segment, { totalLength: 0 }))] },
  ipv4_total_length_exceeds_frame: { frames: () => [raw(cut(v4(6, segment), 40))] },
  ipv4_bad_checksum: { frames: () => [raw(v4(6, segment, { badChecksum: true }))] },
  ipv4_option_malformed: { frames: () => [raw(v4(6, segment, { options: Buffer.from([0x44, 1, 0, 0]) }))] },
  ipv6_header_truncated: { frames: () => [raw(cut(v6(6, segment), 39))] },
  ipv6_bad_version: { frames: () => [frame(E, eth(0x86dd, v4(6, Buffer.alloc(40))))] },
  ipv6_payload_length_exceeds_frame: { frames: () => [raw(cut(v6(6, segment), 60))] },
  ipv6_extension_truncated: { frames: () => [raw(v6(6, Buffer.alloc(0), { extensions: [{ type: 60, body: Buffer.alloc(20) }], payloadLength: 8 }))] },
  ipv6_hop_by_hop_not_first: { frames: () => [raw(v6(6, segment, { extensions: [{ type: 43 }, { type: 0 }] }))] },
  frag_overlap_mismatch: { frames: () => [fragment(1, 0, true, Buffer.alloc(16, 1)), fragment(1, 8, true, Buffer.alloc(16, 2))] },
  frag_length_mismatch: { frames: () => [fragment(1, 16, false, Buffer.alloc(16)), fragment(1, 24, false, Buffer.alloc(16))] },
  frag_too_large: { frames: () => [fragment(1, 65528, true, Buffer.alloc(16))] },
  frag_memcap_drop: { config: { fragmentMemcapBytes: 20 }, frames: () => [fragment(1, 0, true, Buffer.alloc(16)), fragment(2, 0, true, Buffer.alloc(16))] },
  frag_timeout: { frames: () => [fragment(1, 0, true, Buffer.alloc(16)), fragment(1, 16, false, Buffer.alloc(16), 1_700_000_100)] },
  frag_too_many: { config: { maxFragmentsPerDatagram: 1 }, frames: () => [fragment(1, 0, true, Buffer.alloc(8)), fragment(1, 8, true, Buffer.alloc(8))] },
  tcp_header_truncated: { frames: () => [raw(v4(6, cut(segment, 19)))] },
  tcp_bad_data_offset: { frames: () => [raw(v4(6, tcp({ srcPort: 1, dstPort: 2, dataOffset: 12 })))] },
  tcp_option_truncated: { frames: () => [raw(v4(6, tcp({ srcPort: 1, dstPort: 2, options: Buffer.from([8, 10, 0, 0]) })))] },
  tcp_option_bad_length: { frames: () => [raw(v4(6, tcp({ srcPort: 1, dstPort: 2, options: Buffer.from([3, 4, 7, 0]) })))] },
  udp_header_truncated: { frames: () => [raw(v4(17, Buffer.alloc(7)))] },
  udp_length_mismatch: { frames: () => [raw(v4(17, udp({ srcPort: 1, dstPort: 2, length: 9 }, Buffer.from('abc'))))] },
  icmp_truncated: { frames: () => [raw(v4(1, cut(icmp({ type: 8 }), 6)))] },
  icmpv6_truncated: { frames: () => [raw(v6(58, cut(icmpv6({ type: 128 }), 4)))] },
  encapsulation_too_deep: { config: { maxEncapsulationDepth: 1 }, frames: () => [raw(greOver4(gre({ protocol: 0x0800 }, greOver4(gre({ protocol: 0x0800 }, v4(6, segment))))))] },
  gre_truncated: { frames: () => [raw(greOver4(Buffer.from([0x30, 0, 0x08, 0, 0, 0])))] },
  gre_unsupported_version: { frames: () => [raw(greOver4(gre({ protocol: 0x880b, version: 1 }, Buffer.alloc(4))))] },
  gre_routing_unsupported: { frames: () => [raw(greOver4(gre({ protocol: 0x0800, routing: true }, v4(6, segment))))] },
  erspan_truncated: { frames: () => [raw(greOver4(cut(erspan2({ sessionId: 1 }, mirrored), 12)))] },
  erspan_bad_version: { frames: () => [raw(greOver4(erspan3({ sessionId: 1, version: 1 }, mirrored)))] },
  erspan_unsupported_frame_type: { frames: () => [raw(greOver4(erspan3({ sessionId: 1, frameType: 3 }, mirrored)))] },
};

test('every anomaly in DECODER_ANOMALIES is produced by a built packet, and counted', () => {
  const missing: string[] = [];
  for (const name of DECODER_ANOMALIES) {
    const testCase = CASES[name];
    const { decoder, counters } = makeDecoder(testCase.config);
    const carried = testCase.frames().map((item) => decoder.decode(item)).some((packet) => packet?.anomalies.includes(name) ?? false);
    const counted = counters.get(`decoder.${name}`) > 0;
    if (!counted) missing.push(name);
    // anomalies on fragments the reassembler holds are counted only; the rest ride on a packet
    if (!name.startsWith('frag_')) assert.ok(carried, `${name} is counted but on no emitted packet`);
  }
  assert.deepEqual(missing, [], 'anomalies never produced');
  assert.deepEqual(Object.keys(CASES).sort(), [...DECODER_ANOMALIES].sort());
});

test('anomaly names are unique snake_case', () => {
  assert.equal(new Set(DECODER_ANOMALIES).size, DECODER_ANOMALIES.length);
  for (const name of DECODER_ANOMALIES) assert.match(name, /^[a-z0-9]+(_[a-z0-9]+)*$/);
});

/** Every way to build a packet, for the never-throw sweep. */
function corpusOfBuilders(): Frame[] {
  const inner = v4(6, segment);
  const frames: Frame[] = [
    frame(E, eth(0x0800, inner)),
    frame(E, ethernetTagged(MAC_CLIENT, MAC_SERVER, [{ tpid: 0x88a8, id: 5 }, { tpid: 0x8100, id: 6 }], 0x86dd, v6(6, segment, { extensions: [{ type: 0 }, { type: 51 }] }))),
    frame(E, eth(0x0806, arp({ operation: 2, senderMac: MAC_CLIENT, senderIp: '1.1.1.1', targetMac: MAC_SERVER, targetIp: '2.2.2.2' }))),
    frame(E, eth(0x0800, greOver4(erspan2({ sessionId: 1 }, eth(0x8100, vlanTag(3, 0x0800, inner)))))),
    frame(E, eth(0x0800, greOver4(erspan3({ sessionId: 1, platformSubheader: true }, mirrored)))),
    frame(E, eth(0x0800, greOver4(erspan1(mirrored)))),
    frame(E, eth(0x0800, greOver4(gre({ protocol: 0x6558, key: 1, sequence: 2, checksum: true }, mirrored)))),
    frame(E, eth(0x0800, v4(4, inner))),
    frame(E, eth(0x0800, v4(41, v6(17, udp({ srcPort: 1, dstPort: 2 }, Buffer.from('x')))))),
    frame(LinkType.LINUX_SLL, sll({ protocol: 0x0800, address: MAC_CLIENT }, v4(1, icmp({ type: 8 }, Buffer.from('ping'))))),
    frame(LinkType.LINUX_SLL2, sll2({ protocol: 0x86dd, address: MAC_CLIENT }, v6(58, icmpv6({ type: 135 }, Buffer.alloc(16))))),
    frame(LinkType.NULL, nullLoop(30, v6(6, segment, { extensions: [{ type: 44, fragOffset: 0, more: true, id: 1 }] }))),
    frame(LinkType.LOOP, nullLoop(2, v4(6, segment), 'network')),
    frame(R, v4(17, udp({ srcPort: 1, dstPort: 2 }, Buffer.alloc(40)), { moreFragments: true, id: 3 })),
  ];
  // nesting bombs: thousands of SNAP/VLAN headers, and GRE inside GRE up to the frame end
  const snapChain = Buffer.concat(Array.from({ length: 4000 }, () => Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0, 0x81, 0x00, 0, 1, 0, 8])));
  frames.push(frame(E, eth(snapChain.length, snapChain)));
  let nested = v4(6, segment);
  for (let layer = 0; layer < 200; layer++) nested = greOver4(gre({ protocol: 0x0800 }, nested));
  frames.push(frame(E, eth(0x0800, nested)));
  return frames;
}

test('hostile input never throws: every truncation and many byte flips of every built packet', () => {
  const { decoder } = makeDecoder({ maxFragmentsPerDatagram: 8, fragmentMemcapBytes: 4096 });
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  let decoded = 0;
  for (const base of corpusOfBuilders()) {
    for (let length = 0; length <= base.data.length; length++) {
      decoder.decode({ ...base, data: base.data.subarray(0, length) });
      decoded++;
    }
    for (let round = 0; round < 300; round++) {
      const data = Buffer.from(base.data);
      for (let flips = 1 + (random() % 4); flips > 0; flips--) data[random() % data.length] = random() & 0xff;
      const packet = decoder.decode({ ...base, data });
      if (packet !== null) assert.ok(packet.payload.length <= data.length || packet.ip?.reassembled);
      decoded++;
    }
  }
  assert.ok(decoded > 4000);
});

test('random bytes on every link type never throw', () => {
  const { decoder } = makeDecoder({ maxFragmentsPerDatagram: 4, fragmentMemcapBytes: 2048 });
  let seed = 987654321;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed >>> 8;
  };
  const linkTypes = [LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW, LinkType.IPV4, LinkType.IPV6, LinkType.NULL, LinkType.LOOP];
  for (const linkType of linkTypes) {
    for (let round = 0; round < 1500; round++) {
      const data = Buffer.alloc(random() % 200);
      for (let index = 0; index < data.length; index++) data[index] = random() & 0xff;
      // steer some frames past the link layer so the IP decoders see random bytes too
      if (linkType === LinkType.RAW && data.length > 0) data[0] = (round % 2 === 0 ? 0x40 : 0x60) | (data[0]! & 0x0f);
      if (linkType === LinkType.ETHERNET && data.length > 14) data.writeUInt16BE([0x0800, 0x86dd, 0x8100, 0x0806][round % 4]!, 12);
      decoder.decode(frame(linkType, data, 1_700_000_000 + round));
    }
  }
});
