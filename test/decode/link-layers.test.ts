import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkType } from '../../src/core/index.ts';
import { arp, ethernet, ethernetTagged, ipv6, macNumber, nullLoop, sll, sll2, tcp, udp, vlanTag } from '../helpers/packets.ts';
import { decodeOne, ethernetTcp, makeDecoder, MAC_CLIENT, MAC_SERVER, tcpOverIpv4 } from './decoder-fixture.ts';

test('Ethernet II gives MACs as 48-bit numbers, the EtherType and the TCP payload', () => {
  const packet = decodeOne(ethernetTcp());
  assert.equal(packet.srcMac, macNumber(MAC_CLIENT));
  assert.equal(packet.dstMac, macNumber(MAC_SERVER));
  assert.equal(packet.etherType, 0x0800);
  assert.equal(packet.vlan, -1);
  assert.equal(packet.ip?.src, '10.0.0.1');
  assert.equal(packet.tcp?.dstPort, 80);
  assert.equal(packet.payload.toString(), 'hello');
  assert.deepEqual(packet.anomalies, []);
});

test('MACs above 2^32 and with the top bit set stay exact', () => {
  const packet = decodeOne(ethernet('ff:ee:dd:cc:bb:aa', 'ff:ff:ff:ff:ff:ff', 0x0800, tcpOverIpv4()));
  assert.equal(packet.srcMac, 0xffeeddccbbaa);
  assert.equal(packet.dstMac, 0xffffffffffff);
});

test('Ethernet padding after the IPv4 total length never becomes payload', () => {
  const frameBytes = Buffer.concat([ethernetTcp(Buffer.from('ab')), Buffer.alloc(12, 0xee)]);
  const packet = decodeOne(frameBytes);
  assert.equal(packet.payload.toString(), 'ab');
  assert.deepEqual(packet.anomalies, []);
});

test('802.3/LLC frames (STP) are non-IP; SNAP with OUI 0 carries an EtherType', () => {
  const { decoder, counters } = makeDecoder();
  const stp = Buffer.concat([Buffer.from([0x42, 0x42, 0x03]), Buffer.alloc(35)]);
  const llc = decodeOne(ethernet(MAC_CLIENT, '01:80:c2:00:00:00', stp.length, stp), LinkType.ETHERNET, decoder);
  assert.equal(llc.ip, null);
  assert.equal(llc.etherType, -1);
  assert.equal(llc.srcMac, macNumber(MAC_CLIENT));
  assert.equal(counters.get('decoder.non_ip'), 1);
  const ip = tcpOverIpv4();
  const snap = Buffer.concat([Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]), ip]);
  const viaSnap = decodeOne(ethernet(MAC_CLIENT, MAC_SERVER, snap.length, snap), LinkType.ETHERNET, decoder);
  assert.equal(viaSnap.tcp?.dstPort, 80);
});

test('802.1Q tag, 802.1ad QinQ and the legacy 0x9100 outer tag', () => {
  const single = decodeOne(ethernetTagged(MAC_CLIENT, MAC_SERVER, [{ tpid: 0x8100, id: 42 }], 0x0800, tcpOverIpv4()));
  assert.equal(single.vlan, 42);
  assert.equal(single.innerVlan, -1);
  assert.deepEqual(single.encapsulations, ['vlan']);
  assert.equal(single.tcp?.dstPort, 80);
  for (const outer of [0x88a8, 0x9100]) {
    const qinq = decodeOne(
      ethernetTagged(MAC_CLIENT, MAC_SERVER, [{ tpid: outer, id: 100 }, { tpid: 0x8100, id: 20 }], 0x0800, tcpOverIpv4()),
    );
    assert.equal(qinq.vlan, 100);
    assert.equal(qinq.innerVlan, 20);
    assert.deepEqual(qinq.encapsulations, ['vlan', 'vlan']);
    assert.equal(qinq.ip?.dst, '10.0.0.2');
  }
});

test('a priority-tagged frame reports VLAN 0', () => {
  const packet = decodeOne(ethernet(MAC_CLIENT, MAC_SERVER, 0x8100, vlanTag(0, 0x0800, tcpOverIpv4(), 5)));
  assert.equal(packet.vlan, 0);
});

test('ARP request', () => {
  const { decoder, counters } = makeDecoder();
  const bytes = ethernet(MAC_CLIENT, 'ff:ff:ff:ff:ff:ff', 0x0806,
    arp({ operation: 1, senderMac: MAC_CLIENT, senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' }));
  const packet = decodeOne(bytes, LinkType.ETHERNET, decoder);
  assert.deepEqual(packet.arp, { operation: 1, senderMac: macNumber(MAC_CLIENT), senderIp: '10.0.0.1', targetMac: 0, targetIp: '10.0.0.2' });
  assert.equal(packet.ip, null);
  assert.equal(packet.etherType, 0x0806);
  assert.equal(counters.get('decoder.arp'), 1);
});

test('Linux SLL: the sender address is the source MAC, no destination MAC', () => {
  const packet = decodeOne(sll({ protocol: 0x0800, address: MAC_CLIENT, packetType: 4 }, tcpOverIpv4()), LinkType.LINUX_SLL);
  assert.equal(packet.srcMac, macNumber(MAC_CLIENT));
  assert.equal(packet.dstMac, -1);
  assert.equal(packet.tcp?.srcPort, 40000);
  const v6 = decodeOne(sll({ protocol: 0x86dd }, ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol: 17 }, udp({ srcPort: 5353, dstPort: 53 }, Buffer.from('q')))), LinkType.LINUX_SLL);
  assert.equal(v6.srcMac, -1);
  assert.equal(v6.udp?.dstPort, 53);
  const tagged = decodeOne(sll({ protocol: 0x8100, address: MAC_CLIENT }, vlanTag(7, 0x0800, tcpOverIpv4())), LinkType.LINUX_SLL);
  assert.equal(tagged.vlan, 7);
  const llc = decodeOne(sll({ protocol: 0x0004 }, Buffer.alloc(20)), LinkType.LINUX_SLL);
  assert.equal(llc.ip, null);
});

test('Linux SLL2', () => {
  const packet = decodeOne(sll2({ protocol: 0x0800, address: MAC_SERVER, interfaceIndex: 3 }, tcpOverIpv4()), LinkType.LINUX_SLL2);
  assert.equal(packet.srcMac, macNumber(MAC_SERVER));
  assert.equal(packet.ip?.src, '10.0.0.1');
  assert.equal(packet.payload.toString(), 'hello');
});

test('raw IP link types: the version nibble decides', () => {
  const v6 = ipv6({ src: 'fe80::1', dst: 'ff02::1', protocol: 17 }, udp({ srcPort: 546, dstPort: 547 }));
  for (const linkType of [LinkType.RAW, LinkType.IPV4, LinkType.IPV6, 12, 14]) {
    assert.equal(decodeOne(tcpOverIpv4(), linkType).ip?.version, 4, `linktype ${linkType} v4`);
    assert.equal(decodeOne(v6, linkType).ip?.version, 6, `linktype ${linkType} v6`);
  }
  const packet = decodeOne(tcpOverIpv4(), LinkType.RAW);
  assert.equal(packet.srcMac, -1);
  assert.equal(packet.etherType, 0x0800);
});

test('BSD NULL in either byte order, LOOP in network order, all AF_INET6 values', () => {
  const v6 = ipv6({ src: '::1', dst: '::1', protocol: 6 }, tcp({ srcPort: 1, dstPort: 2 }));
  assert.equal(decodeOne(nullLoop(2, tcpOverIpv4()), LinkType.NULL).ip?.version, 4);
  assert.equal(decodeOne(nullLoop(2, tcpOverIpv4(), 'network'), LinkType.NULL).ip?.version, 4);
  assert.equal(decodeOne(nullLoop(2, tcpOverIpv4(), 'network'), LinkType.LOOP).ip?.version, 4);
  assert.equal(decodeOne(nullLoop(2, tcpOverIpv4()), LinkType.LOOP).ip?.version, 4);
  for (const family of [24, 28, 30]) {
    for (const order of ['little-endian', 'network'] as const) {
      const packet = decodeOne(nullLoop(family, v6, order), LinkType.NULL);
      assert.equal(packet.ip?.version, 6, `AF ${family} ${order}`);
      assert.equal(packet.ip?.src, '::1');
    }
  }
  const { decoder, counters } = makeDecoder();
  const other = decodeOne(nullLoop(7, Buffer.alloc(10)), LinkType.NULL, decoder);
  assert.equal(other.ip, null);
  assert.equal(counters.get('decoder.non_ip'), 1);
});

test('an unknown link type is an anomaly, not an exception', () => {
  const packet = decodeOne(Buffer.alloc(30), 147);
  assert.deepEqual(packet.anomalies, ['unsupported_link_type']);
});
