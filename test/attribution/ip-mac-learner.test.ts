import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpMacLearner, StaticPortMap, formatMac, parseMac } from '../../src/attribution/index.ts';
import { Counters, type Packet } from '../../src/core/index.ts';

const T0 = 1_700_000_000;

function packet(overrides: Partial<Packet>, seconds = T0): Packet {
  return {
    frame: { seconds, nanoseconds: 0, linkType: 1, originalLength: 60, data: Buffer.alloc(0), interfaceId: 0, fileOffset: 0, index: 0 },
    srcMac: 0x020000000001,
    dstMac: 0xffffffffffff,
    vlan: 10,
    innerVlan: -1,
    etherType: 0x0800,
    encapsulations: [],
    ip: null,
    arp: null,
    tcp: null,
    udp: null,
    icmp: null,
    payload: Buffer.alloc(0),
    anomalies: [],
    ...overrides,
  };
}

function ip(src: string, version: 4 | 6 = 4): Packet['ip'] {
  return { version, src, dst: version === 4 ? '10.0.0.1' : 'ff02::1', protocol: 17, ttl: 64, id: -1, totalLength: 100, headerLength: 20, reassembled: false, dontFragment: false, extensionHeaders: [] };
}

function dhcpAck(yourIp: number[], clientMac: number): Buffer {
  const body = Buffer.alloc(244);
  body[0] = 2;
  body[1] = 1;
  body[2] = 6;
  Buffer.from(yourIp).copy(body, 16);
  body.writeUIntBE(clientMac, 28, 6);
  body.writeUInt32BE(0x63825363, 236);
  body.set([53, 1, 5, 255], 240);
  return body;
}

test('learns from ARP, DHCP ACK and neighbour advertisements, each once until it changes', () => {
  const counters = new Counters();
  const learner = new IpMacLearner({ counters, refreshSeconds: 300 });
  const arp = packet({ etherType: 0x0806, arp: { operation: 2, senderMac: 0x020000000002, senderIp: '10.0.0.2', targetMac: 0x020000000001, targetIp: '10.0.0.1' } });
  assert.deepEqual(learner.observe(arp), [{ ip: '10.0.0.2', mac: 0x020000000002, vlan: 10, source: 'arp', seconds: T0 }]);
  assert.deepEqual(learner.observe(arp), [], 'unchanged pair is not repeated');
  assert.equal(learner.observe(packet({ arp: arp.arp }, T0 + 301)).length, 1, 'but refreshed after refreshSeconds');

  const dhcp = packet({ srcMac: 0x020000000099, ip: ip('10.0.0.1'), udp: { srcPort: 67, dstPort: 68, length: 252 }, payload: dhcpAck([10, 0, 0, 7], 0x020000000007) });
  const learned = learner.observe(dhcp);
  assert.deepEqual(learned.map((item) => `${item.source} ${item.ip} ${formatMac(item.mac)}`), ['dhcp 10.0.0.7 02:00:00:00:00:07', 'frame 10.0.0.1 02:00:00:00:00:99']);

  const advert = Buffer.alloc(28);
  Buffer.from('fe800000000000000000000000000005', 'hex').copy(advert, 4);
  advert.set([2, 1, 0x02, 0, 0, 0, 0, 0x05], 20);
  const na = packet({ srcMac: 0x020000000005, etherType: 0x86dd, ip: ip('fe80::5', 6), icmp: { version: 6, type: 136, code: 0 }, payload: advert });
  assert.deepEqual(learner.observe(na)[0], { ip: 'fe80::5', mac: 0x020000000005, vlan: 10, source: 'nd', seconds: T0 });
});

test('a frame-header guess does not override a fresh ARP answer; malformed bodies are counted', () => {
  const counters = new Counters();
  const learner = new IpMacLearner({ counters });
  learner.observe(packet({ arp: { operation: 2, senderMac: 0x020000000002, senderIp: '10.0.0.2', targetMac: 1, targetIp: '10.0.0.1' } }));
  assert.deepEqual(learner.observe(packet({ srcMac: 0x0200000000fe, ip: ip('10.0.0.2') })), []);
  assert.equal(counters.get('attribution.learn_weaker_ignored'), 1);
  const broken = packet({ ip: ip('10.0.0.1'), udp: { srcPort: 67, dstPort: 68, length: 20 }, payload: Buffer.alloc(12) });
  assert.doesNotThrow(() => learner.observe(broken));
  const badNd = packet({ ip: ip('fe80::9', 6), icmp: { version: 6, type: 135, code: 0 }, payload: Buffer.from([0, 0, 0, 0, ...new Array(16).fill(0), 1, 0]) });
  assert.doesNotThrow(() => learner.observe(badNd));
  assert.equal(counters.get('attribution.learn_malformed'), 2);
});

test('MAC text round-trips; the static map is a forwarding table', async () => {
  assert.equal(parseMac('02:00:00:00:00:0A'), 0x02000000000a);
  assert.equal(parseMac('0200.0000.000a'), -1);
  assert.equal(formatMac(-1), '');
  const [map] = StaticPortMap.fromEntries([{ mac: '02:00:00:00:00:0a', switch: 'access-1', port: 'Gi1/0/3', ifIndex: 10103 }]);
  assert.equal(map!.capabilities.live, false);
  assert.deepEqual(await map!.readForwardingTable(), [{ mac: 0x02000000000a, vlan: -1, bridgePort: -1, ifIndex: 10103, port: 'Gi1/0/3', source: 'static' }]);
  assert.throws(() => new StaticPortMap('x', [{ mac: 'nope', switch: 'x', port: 'p' }]), { code: 'CT_ERR_INVALID_ARGUMENT' });
});
