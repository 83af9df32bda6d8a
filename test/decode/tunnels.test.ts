import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkType } from '../../src/core/index.ts';
import { erspan1, erspan2, erspan3, ethernet, ethernetTagged, gre, ipv4, ipv6, macNumber, tcp, udp } from '../helpers/packets.ts';
import { decodeOne, makeDecoder, MAC_CLIENT, MAC_SERVER } from './decoder-fixture.ts';

const ROUTER_A = '02:aa:00:00:00:01';
const ROUTER_B = '02:aa:00:00:00:02';
const VICTIM_MAC = '00:0c:29:11:22:33';
const ATTACKER_MAC = '00:0c:29:44:55:66';

const innerIp = ipv4({ src: '192.168.198.204', dst: '192.168.198.203', protocol: 6 },
  tcp({ srcPort: 49152, dstPort: 445, seq: 5, flags: 0x18 }, Buffer.from('exploit')));
const outer = (protocol: number, payload: Buffer): Buffer =>
  ethernetTagged(ROUTER_A, ROUTER_B, [{ tpid: 0x8100, id: 999 }], 0x0800, ipv4({ src: '172.31.0.1', dst: '172.31.0.2', protocol }, payload));

function assertInner(packet: ReturnType<typeof decodeOne>): void {
  assert.equal(packet.ip?.src, '192.168.198.204');
  assert.equal(packet.ip?.dst, '192.168.198.203');
  assert.equal(packet.tcp?.dstPort, 445);
  assert.equal(packet.payload.toString(), 'exploit');
}

test('GRE carrying IPv4, with checksum, key and sequence number', () => {
  for (const options of [{}, { key: 0x1234 }, { sequence: 7 }, { checksum: true, key: 1, sequence: 2 }]) {
    const { decoder, counters } = makeDecoder();
    const packet = decodeOne(outer(47, gre({ protocol: 0x0800, ...options }, innerIp)), LinkType.ETHERNET, decoder);
    assertInner(packet);
    assert.deepEqual(packet.encapsulations, ['vlan', 'gre']);
    // IP-level GRE keeps the outer L2 facts: there is no inner frame
    assert.equal(packet.srcMac, macNumber(ROUTER_A));
    assert.equal(packet.vlan, 999);
    assert.deepEqual(packet.anomalies, []);
    assert.equal(counters.get('decoder.gre'), 1);
  }
});

test('GRE carrying IPv6 and transparent Ethernet (0x6558): MACs and VLAN from the inner frame', () => {
  const v6 = decodeOne(outer(47, gre({ protocol: 0x86dd }, ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol: 17 }, udp({ srcPort: 1, dstPort: 2 })))));
  assert.equal(v6.ip?.version, 6);
  assert.equal(v6.etherType, 0x86dd);
  const inner = ethernetTagged(ATTACKER_MAC, VICTIM_MAC, [{ tpid: 0x8100, id: 30 }], 0x0800, innerIp);
  const bridged = decodeOne(outer(47, gre({ protocol: 0x6558, key: 5 }, inner)));
  assertInner(bridged);
  assert.equal(bridged.srcMac, macNumber(ATTACKER_MAC));
  assert.equal(bridged.dstMac, macNumber(VICTIM_MAC));
  assert.equal(bridged.vlan, 30);
  assert.deepEqual(bridged.encapsulations, ['vlan', 'gre', 'vlan']);
});

test('ERSPAN type I (no header), II (8 bytes) and III (12, and 20 with the platform subheader) carrying Ethernet + VLAN', () => {
  const mirrored = ethernetTagged(ATTACKER_MAC, VICTIM_MAC, [{ tpid: 0x8100, id: 12 }], 0x0800, innerIp);
  const cases: [Buffer, string][] = [
    [erspan1(mirrored), 'erspan1'],
    [erspan2({ sessionId: 3, vlan: 12 }, mirrored), 'erspan2'],
    [erspan3({ sessionId: 3, vlan: 12 }, mirrored), 'erspan3'],
    [erspan3({ sessionId: 3, vlan: 12, platformSubheader: true }, mirrored), 'erspan3'],
  ];
  for (const [payload, kind] of cases) {
    const packet = decodeOne(outer(47, payload));
    assertInner(packet);
    assert.deepEqual(packet.encapsulations, ['vlan', kind, 'vlan']);
    assert.equal(packet.srcMac, macNumber(ATTACKER_MAC));
    assert.equal(packet.vlan, 12);
    assert.deepEqual(packet.anomalies, [], kind);
  }
});

test('ERSPAN II: a stripped 802.1Q tag is recovered from the header', () => {
  const untagged = ethernet(ATTACKER_MAC, VICTIM_MAC, 0x0800, innerIp);
  assert.equal(decodeOne(outer(47, erspan2({ sessionId: 1, vlan: 44, tagEncapsulation: 2 }, untagged))).vlan, 44);
  assert.equal(decodeOne(outer(47, erspan2({ sessionId: 1, vlan: 44, tagEncapsulation: 0 }, untagged))).vlan, -1);
});

test('ERSPAN III frame type 2 carries IP directly', () => {
  const packet = decodeOne(outer(47, erspan3({ sessionId: 1, frameType: 2 }, innerIp)));
  assertInner(packet);
  assert.equal(packet.srcMac, macNumber(ROUTER_A));
});

test('IP-in-IP and IPv6-in-IPv4', () => {
  const ipip = decodeOne(outer(4, innerIp));
  assertInner(ipip);
  assert.deepEqual(ipip.encapsulations, ['vlan', 'ipip']);
  const sixInFour = decodeOne(outer(41, ipv6({ src: '2002:ac1f::1', dst: '2001:db8::99', protocol: 6 }, tcp({ srcPort: 1, dstPort: 80 }))));
  assert.equal(sixInFour.ip?.version, 6);
  assert.equal(sixInFour.ip?.dst, '2001:db8::99');
  assert.deepEqual(sixInFour.encapsulations, ['vlan', 'ipv6-in-ip']);
  assert.equal(sixInFour.tcp?.dstPort, 80);
});

test('tunnels deeper than maxEncapsulationDepth stop at the last allowed IP layer', () => {
  let bytes = innerIp;
  for (let layer = 0; layer < 3; layer++) bytes = ipv4({ src: `10.9.9.${layer}`, dst: '10.9.9.100', protocol: 47 }, gre({ protocol: 0x0800 }, bytes));
  const { decoder, counters } = makeDecoder({ maxEncapsulationDepth: 2 });
  const packet = decodeOne(ethernet(MAC_CLIENT, MAC_SERVER, 0x0800, bytes), LinkType.ETHERNET, decoder);
  assert.deepEqual(packet.anomalies, ['encapsulation_too_deep']);
  assert.deepEqual(packet.encapsulations, ['gre', 'gre']);
  assert.equal(packet.ip?.src, '10.9.9.0');
  assert.equal(packet.ip?.protocol, 47);
  assert.equal(packet.tcp, null);
  assert.equal(counters.get('decoder.encapsulation_too_deep'), 1);
  assertInner(decodeOne(ethernet(MAC_CLIENT, MAC_SERVER, 0x0800, bytes), LinkType.ETHERNET, makeDecoder({ maxEncapsulationDepth: 3 }).decoder));
});

test('GRE version 1 (PPTP) and source routing are not opened', () => {
  const pptp = decodeOne(outer(47, gre({ protocol: 0x880b, version: 1, key: 0 }, Buffer.from('ppp'))));
  assert.deepEqual(pptp.anomalies, ['gre_unsupported_version']);
  assert.equal(pptp.ip?.src, '172.31.0.1');
  const routed = decodeOne(outer(47, gre({ protocol: 0x0800, routing: true }, innerIp)));
  assert.deepEqual(routed.anomalies, ['gre_routing_unsupported']);
});
