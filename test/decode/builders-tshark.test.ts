/**
 * The builders and the decoder could agree with each other and both be wrong. Here tshark reads
 * what the builders made, for every link type and tunnel, and has to see what the decoder sees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkType, type Packet } from '../../src/core/index.ts';
import { buildPcap } from '../../src/capture/index.ts';
import {
  erspan1, erspan2, erspan3, ethernet, ethernetTagged, frame, gre, icmp, ipv4, ipv6, nullLoop, sll, sll2, splitFragments, tcp, tcpOptions, udp,
} from '../helpers/packets.ts';
import { makeDecoder, MAC_CLIENT, MAC_SERVER } from './decoder-fixture.ts';

const tsharkMissing =
  spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status !== 0 || spawnSync('mergecap', ['-v'], { stdio: 'ignore' }).status !== 0
    ? 'tshark/mergecap not installed'
    : false;

const FIELDS = ['frame.number', 'ip.src', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.seq_raw', 'tcp.len', 'udp.srcport', 'vlan.id', 'eth.src', 'sll.src.eth', 'tcp.options.mss_val', '_ws.malformed', '_ws.expert.severity'] as const;
type Row = Record<(typeof FIELDS)[number], string>;

interface Group {
  linkType: number;
  frames: Buffer[];
}

function parseRows(output: string): Row[] {
  return output
    .trimEnd()
    .split('\n')
    .map((line) => Object.fromEntries(FIELDS.map((field, index) => [field, line.split('\t')[index] ?? ''])) as Row);
}

/** tshark's rows for each group; the groups go through one tshark run (mergecap joins them) because tshark starts slowly. */
function tshark(groups: Group[]): Row[][] {
  const dir = mkdtempSync(join(tmpdir(), 'crashtest-builders-'));
  try {
    const paths = groups.map((group, index) => {
      const path = join(dir, `group-${index}.pcap`);
      writeFileSync(path, buildPcap(group.linkType, group.frames.map((data, frameIndex) => ({ seconds: 1_700_000_000 + frameIndex, nanoseconds: 0, data }))));
      return path;
    });
    const merged = join(dir, 'all.pcapng');
    execFileSync('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...paths], { stdio: 'ignore' });
    const args = ['-n', '-r', merged, '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=,', ...FIELDS.flatMap((field) => ['-e', field])];
    const rows = parseRows(execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    let cursor = 0;
    return groups.map((group) => rows.slice(cursor, (cursor += group.frames.length)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const last = (value: string): string => value.split(',').at(-1) ?? '';
const macText = (mac: number): string => mac.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');

function decodeAll(linkType: number, frames: Buffer[]): (Packet | null)[] {
  const { decoder } = makeDecoder();
  return frames.map((data, index) => decoder.decode(frame(linkType, data, 1_700_000_000 + index)));
}

function assertAgree(...groups: Group[]): void {
  const rowsByGroup = tshark(groups);
  groups.forEach((group, index) => assertGroupAgrees(group.linkType, group.frames, rowsByGroup[index]!));
}

function assertGroupAgrees(linkType: number, frames: Buffer[], rows: Row[]): void {
  const packets = decodeAll(linkType, frames);
  assert.equal(rows.length, frames.length);
  packets.forEach((packet, index) => {
    const row = rows[index]!;
    const where = `linktype ${linkType} frame ${index + 1}`;
    assert.equal(row['_ws.malformed'], '', `${where}: tshark calls it malformed`);
    if (packet === null) return;
    assert.ok(packet.ip, `${where}: decoded no IP`);
    assert.equal(packet.ip.src, last(packet.ip.version === 4 ? row['ip.src'] : row['ipv6.src']), `${where}: source address`);
    if (packet.tcp) {
      assert.equal(String(packet.tcp.srcPort), last(row['tcp.srcport']), `${where}: tcp port`);
      assert.equal(String(packet.tcp.seq), last(row['tcp.seq_raw']), `${where}: tcp seq`);
      assert.equal(String(packet.payload.length), last(row['tcp.len']), `${where}: tcp len`);
      if (packet.tcp.options.mss !== undefined) assert.equal(String(packet.tcp.options.mss), row['tcp.options.mss_val'], `${where}: mss`);
    }
    if (packet.udp) assert.equal(String(packet.udp.srcPort), last(row['udp.srcport']), `${where}: udp port`);
    const vlans = row['vlan.id'] === '' ? [] : row['vlan.id'].split(',').map(Number);
    if (packet.vlan >= 0 && packet.encapsulations.filter((layer) => layer === 'vlan').length === vlans.length) {
      assert.deepEqual([packet.vlan, packet.innerVlan].filter((id) => id >= 0), vlans.slice(0, 2), `${where}: vlans`);
    }
    if (packet.srcMac >= 0) {
      const tsharkMac = last(row['eth.src']) || row['sll.src.eth'];
      assert.equal(macText(packet.srcMac), tsharkMac, `${where}: source MAC`);
    }
  });
}

const segment = tcp({ srcPort: 4444, dstPort: 1025, seq: 123456789, flags: 0x18, options: tcpOptions({ mss: 1380, timestamp: [5, 6] }) }, Buffer.from('payload!'));
const ip4 = ipv4({ src: '10.234.2.116', dst: '10.234.2.1', protocol: 6, id: 99 }, segment);
const ip6 = ipv6({ src: '2001:db8::dead:beef', dst: 'fe80::1', protocol: 6, extensions: [{ type: 0 }, { type: 60 }] }, segment);
const dns = ipv4({ src: '10.0.0.53', dst: '10.0.0.1', protocol: 17 }, udp({ srcPort: 53, dstPort: 33000 }, Buffer.alloc(30)));
const mirrored = ethernetTagged('00:0c:29:aa:bb:cc', '00:0c:29:dd:ee:ff', [{ tpid: 0x8100, id: 77 }], 0x0800, ip4);
const overGre = (payload: Buffer): Buffer => ethernet(MAC_CLIENT, MAC_SERVER, 0x0800, ipv4({ src: '172.16.0.1', dst: '172.16.0.2', protocol: 47 }, payload));

test('tshark reads the Ethernet, VLAN/QinQ, ICMP and fragment builders as the decoder does', { skip: tsharkMissing }, () => {
  const bigUdp = ipv4({ src: '10.1.0.1', dst: '10.1.0.2', protocol: 17 }, udp({ srcPort: 1434, dstPort: 1434 }, Buffer.alloc(376, 4))).subarray(20);
  const fragments = splitFragments(bigUdp, 128).map((piece) =>
    ethernet(MAC_CLIENT, MAC_SERVER, 0x0800, ipv4({ src: '10.1.0.1', dst: '10.1.0.2', protocol: 17, id: 5, moreFragments: piece.more, fragOffset: piece.fragOffset }, piece.data)));
  const bigTcp = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol: 6 }, tcp({ srcPort: 80, dstPort: 5000, seq: 1 }, Buffer.alloc(300, 7))).subarray(40);
  const fragments6 = splitFragments(bigTcp, 160).map((piece) =>
    ethernet(MAC_CLIENT, MAC_SERVER, 0x86dd, ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol: 6, extensions: [{ type: 44, fragOffset: piece.fragOffset, more: piece.more, id: 42 }] }, piece.data)));
  assertAgree({ linkType: LinkType.ETHERNET, frames: [
    ethernet(MAC_CLIENT, MAC_SERVER, 0x0800, ip4),
    ethernet(MAC_CLIENT, MAC_SERVER, 0x86dd, ip6),
    ethernetTagged(MAC_CLIENT, MAC_SERVER, [{ tpid: 0x8100, id: 10 }], 0x0800, dns),
    ethernetTagged(MAC_CLIENT, MAC_SERVER, [{ tpid: 0x88a8, id: 200 }, { tpid: 0x8100, id: 30 }], 0x0800, ip4),
    ethernet(MAC_CLIENT, MAC_SERVER, 0x0800, ipv4({ src: '10.0.0.9', dst: '10.0.0.1', protocol: 1 }, icmp({ type: 8, rest: 0x00010001 }, Buffer.from('abcdefgh')))),
    ...fragments,
    ...fragments6,
  ] });
});

test('tshark reads the GRE, ERSPAN I/II/III, IP-in-IP builders as the decoder does', { skip: tsharkMissing }, () => {
  assertAgree({ linkType: LinkType.ETHERNET, frames: [
    overGre(gre({ protocol: 0x0800, key: 7, sequence: 9, checksum: true }, ip4)),
    overGre(gre({ protocol: 0x6558 }, mirrored)),
    overGre(erspan1(mirrored)),
    overGre(erspan2({ sessionId: 5, vlan: 77 }, mirrored)),
    overGre(erspan3({ sessionId: 5, vlan: 77 }, mirrored)),
    overGre(erspan3({ sessionId: 5, vlan: 77, platformSubheader: true }, mirrored)),
    ethernet(MAC_CLIENT, MAC_SERVER, 0x0800, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 4 }, ip4)),
    ethernet(MAC_CLIENT, MAC_SERVER, 0x0800, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 41 }, ip6)),
  ] });
});

test('tshark reads the SLL, SLL2, NULL, LOOP and raw builders as the decoder does', { skip: tsharkMissing }, () => {
  assertAgree(
    { linkType: LinkType.LINUX_SLL, frames: [sll({ protocol: 0x0800, address: MAC_CLIENT }, ip4), sll({ protocol: 0x86dd, address: MAC_SERVER, packetType: 4 }, ip6)] },
    { linkType: LinkType.LINUX_SLL2, frames: [sll2({ protocol: 0x0800, address: MAC_CLIENT }, ip4), sll2({ protocol: 0x86dd, address: MAC_SERVER }, ip6)] },
    { linkType: LinkType.NULL, frames: [nullLoop(2, ip4), nullLoop(24, ip6), nullLoop(28, ip6), nullLoop(30, ip6), nullLoop(2, ip4, 'network'), nullLoop(30, ip6, 'network')] },
    { linkType: LinkType.LOOP, frames: [nullLoop(2, ip4, 'network'), nullLoop(24, ip6, 'network')] },
    { linkType: LinkType.RAW, frames: [ip4, ip6] },
    { linkType: LinkType.IPV4, frames: [ip4] },
    { linkType: LinkType.IPV6, frames: [ip6] },
  );
});
