import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkType } from '../../src/core/index.ts';
import { ethernet, ipv4, ipv6, tcp, udp, icmpv6 } from '../helpers/packets.ts';
import { decodeOne, makeDecoder, MAC_CLIENT, MAC_SERVER } from './decoder-fixture.ts';

const segment = tcp({ srcPort: 1025, dstPort: 445, seq: 7, flags: 0x18 }, Buffer.from('SMB'));

test('IPv4 header fields', () => {
  const packet = decodeOne(ethernet(MAC_CLIENT, MAC_SERVER, 0x0800,
    ipv4({ src: '192.168.3.205', dst: '192.168.3.12', protocol: 6, ttl: 128, id: 0x1234, dontFragment: true }, segment)));
  assert.deepEqual(packet.ip, {
    version: 4, src: '192.168.3.205', dst: '192.168.3.12', protocol: 6, ttl: 128, id: 0x1234,
    totalLength: 20 + segment.length, headerLength: 20, reassembled: false, dontFragment: true, extensionHeaders: [],
  });
  assert.deepEqual(packet.anomalies, []);
});

test('IPv4 options are skipped; malformed options are an anomaly but decoding goes on', () => {
  const recordRoute = Buffer.from([7, 7, 4, 0, 0, 0, 0, 1]);
  const good = decodeOne(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, options: recordRoute }, segment), LinkType.RAW);
  assert.equal(good.ip?.headerLength, 28);
  assert.equal(good.payload.toString(), 'SMB');
  assert.deepEqual(good.anomalies, []);
  const bad = decodeOne(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, options: Buffer.from([7, 40, 4, 0]) }, segment), LinkType.RAW);
  assert.deepEqual(bad.anomalies, ['ipv4_option_malformed']);
  assert.equal(bad.tcp?.dstPort, 445);
});

test('a bad IPv4 header checksum is counted, not dropped', () => {
  const { decoder, counters } = makeDecoder();
  const packet = decodeOne(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, badChecksum: true }, segment), LinkType.RAW, decoder);
  assert.deepEqual(packet.anomalies, ['ipv4_bad_checksum']);
  assert.equal(packet.payload.toString(), 'SMB');
  assert.equal(counters.get('decoder.ipv4_bad_checksum'), 1);
});

test('IPv4 total length 0 (segmentation offload) runs to the frame end', () => {
  const packet = decodeOne(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, totalLength: 0 }, segment), LinkType.RAW);
  assert.deepEqual(packet.anomalies, ['ipv4_zero_total_length']);
  assert.equal(packet.payload.toString(), 'SMB');
});

test('IPv4 total length longer than the frame: decode what is there', () => {
  const packet = decodeOne(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, totalLength: 1500 }, segment), LinkType.RAW);
  assert.deepEqual(packet.anomalies, ['ipv4_total_length_exceeds_frame']);
  assert.equal(packet.payload.toString(), 'SMB');
});

test('IPv6 with hop-by-hop, routing, destination options and AH before TCP', () => {
  const packet = decodeOne(ethernet(MAC_CLIENT, MAC_SERVER, 0x86dd, ipv6({
    src: '2001:db8::1', dst: '2001:db8::2', protocol: 6, hopLimit: 33,
    extensions: [{ type: 0 }, { type: 43, body: Buffer.alloc(14) }, { type: 60 }, { type: 51 }],
  }, segment)));
  assert.equal(packet.ip?.version, 6);
  assert.equal(packet.ip?.protocol, 6);
  assert.equal(packet.ip?.ttl, 33);
  assert.deepEqual(packet.ip?.extensionHeaders, [0, 43, 60, 51]);
  assert.equal(packet.ip?.headerLength, 40 + 8 + 16 + 8 + 24);
  assert.equal(packet.tcp?.dstPort, 445);
  assert.equal(packet.payload.toString(), 'SMB');
  assert.deepEqual(packet.anomalies, []);
});

test('IPv6 stops at ESP and at No Next Header', () => {
  const esp = decodeOne(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol: 50 }, Buffer.from('opaque')), LinkType.RAW);
  assert.equal(esp.ip?.protocol, 50);
  assert.equal(esp.tcp, null);
  assert.equal(esp.payload.toString(), 'opaque');
  const none = decodeOne(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol: 59, extensions: [{ type: 60 }] }, Buffer.alloc(0)), LinkType.RAW);
  assert.equal(none.ip?.protocol, 59);
  assert.deepEqual(none.ip?.extensionHeaders, [60]);
});

test('IPv6 payload length bounds the packet; an atomic fragment is read through', () => {
  const bytes = Buffer.concat([ipv6({ src: 'fe80::1', dst: 'fe80::2', protocol: 17 }, udp({ srcPort: 1, dstPort: 2 }, Buffer.from('x'))), Buffer.alloc(6)]);
  const packet = decodeOne(bytes, LinkType.RAW);
  assert.equal(packet.payload.toString(), 'x');
  assert.deepEqual(packet.anomalies, []);
  const atomic = decodeOne(ipv6({ src: 'fe80::1', dst: 'fe80::2', protocol: 58, extensions: [{ type: 44, fragOffset: 0, more: false, id: 9 }] },
    icmpv6({ type: 128, rest: 0x00010001 }, Buffer.from('ping'))), LinkType.RAW);
  assert.equal(atomic.ip?.reassembled, false);
  assert.equal(atomic.ip?.id, 9);
  assert.deepEqual(atomic.icmp, { version: 6, type: 128, code: 0 });
  assert.equal(atomic.payload.toString(), 'ping');
});

test('IPv6 hop-by-hop after another extension header is an anomaly', () => {
  const packet = decodeOne(ipv6({ src: '::1', dst: '::1', protocol: 6, extensions: [{ type: 60 }, { type: 0 }] }, segment), LinkType.RAW);
  assert.deepEqual(packet.anomalies, ['ipv6_hop_by_hop_not_first']);
  assert.equal(packet.tcp?.dstPort, 445);
});
