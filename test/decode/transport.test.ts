import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkType, TcpFlag } from '../../src/core/index.ts';
import { icmp, icmpv6, ipv4, ipv6, tcp, tcpOptions, udp } from '../helpers/packets.ts';
import { decodeOne, makeDecoder } from './decoder-fixture.ts';

const over4 = (protocol: number, payload: Buffer): Buffer => ipv4({ src: '10.1.1.1', dst: '10.2.2.2', protocol }, payload);

test('TCP header and the SYN options MSS, SACK-permitted, timestamps, window scale', () => {
  const { decoder, counters } = makeDecoder();
  const syn = tcp({ srcPort: 51000, dstPort: 443, seq: 0xfffffff0, ack: 0, flags: TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR, window: 64240,
    options: tcpOptions({ mss: 1460, sackPermitted: true, timestamp: [0xdeadbeef, 0], windowScale: 7 }) });
  const packet = decodeOne(over4(6, syn), LinkType.RAW, decoder);
  assert.deepEqual(packet.tcp, {
    srcPort: 51000, dstPort: 443, seq: 0xfffffff0, ack: 0, flags: 0xc2, window: 64240, urgentPointer: 0, headerLength: 40,
    options: { mss: 1460, windowScale: 7, sackPermitted: true, timestamp: { value: 0xdeadbeef, echo: 0 }, kinds: [2, 4, 8, 1, 3] },
  });
  assert.equal(packet.payload.length, 0);
  assert.equal(counters.get('decoder.tcp'), 1);
});

test('TCP options: NOP/EOL kinds recorded, SACK blocks and unknown kinds skipped', () => {
  const options = Buffer.from([1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 30, 4, 9, 9, 0, 0]);
  const packet = decodeOne(over4(6, tcp({ srcPort: 1, dstPort: 2, options }, Buffer.from('data'))), LinkType.RAW);
  assert.deepEqual(packet.tcp?.options.kinds, [1, 1, 5, 30, 0]);
  assert.equal(packet.tcp?.options.mss, undefined);
  assert.equal(packet.payload.toString(), 'data');
  assert.deepEqual(packet.anomalies, []);
});

test('malformed TCP options are anomalies; the segment is still decoded', () => {
  const badLength = decodeOne(over4(6, tcp({ srcPort: 1, dstPort: 2, options: Buffer.from([2, 3, 5, 1]) }, Buffer.from('p'))), LinkType.RAW);
  assert.deepEqual(badLength.anomalies, ['tcp_option_bad_length']);
  assert.equal(badLength.payload.toString(), 'p');
  const zeroLength = decodeOne(over4(6, tcp({ srcPort: 1, dstPort: 2, options: Buffer.from([30, 0, 1, 1]) })), LinkType.RAW);
  assert.deepEqual(zeroLength.anomalies, ['tcp_option_bad_length']);
  const overrun = decodeOne(over4(6, tcp({ srcPort: 1, dstPort: 2, options: Buffer.from([1, 8, 10, 0]) })), LinkType.RAW);
  assert.deepEqual(overrun.anomalies, ['tcp_option_truncated']);
  const noLength = decodeOne(over4(6, tcp({ srcPort: 1, dstPort: 2, options: Buffer.from([1, 1, 1, 3]) })), LinkType.RAW);
  assert.deepEqual(noLength.anomalies, ['tcp_option_truncated']);
  assert.equal(noLength.tcp?.srcPort, 1);
});

test('TCP with a bad data offset or a short header gives no tcp header', () => {
  const small = decodeOne(over4(6, tcp({ srcPort: 1, dstPort: 2, dataOffset: 16 })), LinkType.RAW);
  assert.equal(small.tcp, null);
  assert.deepEqual(small.anomalies, ['tcp_bad_data_offset']);
  const large = decodeOne(over4(6, tcp({ srcPort: 1, dstPort: 2, dataOffset: 60 })), LinkType.RAW);
  assert.deepEqual(large.anomalies, ['tcp_bad_data_offset']);
  const short = decodeOne(over4(6, Buffer.alloc(12)), LinkType.RAW);
  assert.deepEqual(short.anomalies, ['tcp_header_truncated']);
  assert.equal(short.ip?.protocol, 6);
});

test('UDP; a UDP length shorter than the IP payload bounds the payload', () => {
  const { decoder, counters } = makeDecoder();
  const packet = decodeOne(over4(17, udp({ srcPort: 1434, dstPort: 1434 }, Buffer.from('slammer'))), LinkType.RAW, decoder);
  assert.deepEqual(packet.udp, { srcPort: 1434, dstPort: 1434, length: 15 });
  assert.equal(packet.payload.toString(), 'slammer');
  assert.equal(counters.get('decoder.udp'), 1);
  const short = decodeOne(over4(17, udp({ srcPort: 1, dstPort: 2, length: 10 }, Buffer.from('abcdef'))), LinkType.RAW);
  assert.deepEqual(short.anomalies, ['udp_length_mismatch']);
  assert.equal(short.payload.toString(), 'ab');
  const long = decodeOne(over4(17, udp({ srcPort: 1, dstPort: 2, length: 100 }, Buffer.from('abc'))), LinkType.RAW);
  assert.deepEqual(long.anomalies, ['udp_length_mismatch']);
  assert.equal(long.payload.toString(), 'abc');
});

test('ICMP and ICMPv6: type, code, and the body after the 8-byte header', () => {
  const echo = decodeOne(over4(1, icmp({ type: 8, rest: 0x00010002 }, Buffer.from('abcd'))), LinkType.RAW);
  assert.deepEqual(echo.icmp, { version: 4, type: 8, code: 0 });
  assert.equal(echo.payload.toString(), 'abcd');
  const unreachable = decodeOne(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol: 58 }, icmpv6({ type: 1, code: 4 }, Buffer.from('orig'))), LinkType.RAW);
  assert.deepEqual(unreachable.icmp, { version: 6, type: 1, code: 4 });
  assert.equal(unreachable.payload.toString(), 'orig');
  const short = decodeOne(over4(1, Buffer.from([3, 1, 0, 0])), LinkType.RAW);
  assert.deepEqual(short.icmp, { version: 4, type: 3, code: 1 });
  assert.deepEqual(short.anomalies, ['icmp_truncated']);
});

test('other IP protocols keep their payload', () => {
  const packet = decodeOne(over4(132, Buffer.from('sctp-ish')), LinkType.RAW);
  assert.equal(packet.ip?.protocol, 132);
  assert.equal(packet.payload.toString(), 'sctp-ish');
});
