import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkType, type Frame } from '../../src/core/index.ts';
import { ethernet, frame, ipv4, ipv6, splitFragments, tcp, udp } from '../helpers/packets.ts';
import { makeDecoder, MAC_CLIENT, MAC_SERVER } from './decoder-fixture.ts';

const T0 = 1_700_000_000;
/** what the reassembler charges per held fragment besides its bytes */
const FRAGMENT_OVERHEAD = 64;
const message = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+-=[]{};:,.<>/?~`|0123456789');

/** The IP payload (UDP header + data) of the whole datagram, checksum filled in. */
function udpDatagram(data = message): Buffer {
  return ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17 }, udp({ srcPort: 5000, dstPort: 53 }, data)).subarray(20);
}

function v4Fragments(payload: Buffer, size: number, id = 77, seconds = T0): Frame[] {
  return splitFragments(payload, size).map((piece, index) =>
    frame(LinkType.ETHERNET, ethernet(MAC_CLIENT, MAC_SERVER, 0x0800,
      ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, id, moreFragments: piece.more, fragOffset: piece.fragOffset }, piece.data)), seconds, index),
  );
}

function v4Fragment(payload: Buffer, fragOffset: number, more: boolean, id = 77, seconds = T0): Frame {
  return frame(LinkType.RAW, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, id, moreFragments: more, fragOffset }, payload), seconds);
}

test('IPv4 fragments in order: held, then one reassembled packet on the last fragment\'s frame', () => {
  const { decoder, counters } = makeDecoder();
  const frames = v4Fragments(udpDatagram(), 40);
  assert.equal(frames.length, 3);
  assert.equal(decoder.decode(frames[0]!), null);
  assert.equal(decoder.decode(frames[1]!), null);
  const packet = decoder.decode(frames[2]!);
  assert.ok(packet);
  assert.equal(packet.frame, frames[2]);
  assert.equal(packet.ip?.reassembled, true);
  assert.equal(packet.ip?.totalLength, 20 + 8 + message.length);
  assert.equal(packet.udp?.dstPort, 53);
  assert.deepEqual(packet.payload, message);
  assert.deepEqual(packet.anomalies, []);
  assert.equal(counters.get('decoder.frag_reassembled'), 1);
  assert.equal(decoder.stats.pendingDatagrams, 0);
  assert.equal(decoder.stats.fragmentBytesHeld, 0);
  assert.equal(decoder.stats.held, 2);
});

test('IPv4 fragments out of order, with an agreeing duplicate', () => {
  const { decoder } = makeDecoder();
  const frames = v4Fragments(udpDatagram(), 32);
  const order = [3, 1, 1, 0, 2];
  const results = order.map((index) => decoder.decode(frames[index]!));
  assert.deepEqual(results.slice(0, 4), [null, null, null, null]);
  assert.deepEqual(results[4]?.payload, message);
  assert.deepEqual(results[4]?.anomalies, []);
});

test('overlapping fragments that agree are silent; that disagree: first wins, anomaly', () => {
  const payload = udpDatagram();
  const agree = makeDecoder().decoder;
  assert.equal(agree.decode(v4Fragment(payload.subarray(0, 48), 0, true)), null);
  assert.equal(agree.decode(v4Fragment(payload.subarray(24, 72), 24, true)), null);
  const done = agree.decode(v4Fragment(payload.subarray(64), 64, false));
  assert.deepEqual(done?.payload, message);
  assert.deepEqual(done?.anomalies, []);

  const { decoder, counters } = makeDecoder();
  assert.equal(decoder.decode(v4Fragment(payload.subarray(0, 48), 0, true)), null);
  const forged = Buffer.from(payload.subarray(24, 72));
  forged.fill(0x58, 10, 20);
  assert.equal(decoder.decode(v4Fragment(forged, 24, true)), null);
  assert.equal(counters.get('decoder.frag_overlap_mismatch'), 1);
  const packet = decoder.decode(v4Fragment(payload.subarray(72), 72, false));
  assert.ok(packet);
  // bytes 24..47 came first from the honest fragment; 48..71 only from the forged one
  const expected = Buffer.from(payload.subarray(8));
  forged.subarray(24, 48).copy(expected, 48 - 8);
  assert.deepEqual(packet.payload, expected);
  assert.ok(!packet.payload.subarray(24 - 8, 48 - 8).includes(0x58));
});

test('a datagram past its timeout is dropped; a late fragment records frag_timeout', () => {
  const { decoder, counters } = makeDecoder({ fragmentTimeoutMs: 5_000 });
  const payload = udpDatagram();
  assert.equal(decoder.decode(v4Fragment(payload.subarray(0, 48), 0, true, 1, T0)), null);
  const late = v4Fragment(payload.subarray(48), 48, false, 1, T0 + 6);
  assert.equal(decoder.decode(late), null);
  assert.equal(counters.get('decoder.frag_timeout'), 1);
  assert.equal(counters.get('decoder.frag_timeout_datagrams'), 1);
  // the sweep driven by capture time drops datagrams nobody comes back for
  assert.equal(decoder.stats.pendingDatagrams, 1);
  decoder.decode(v4Fragment(payload.subarray(0, 48), 0, true, 2, T0 + 20));
  assert.equal(counters.get('decoder.frag_timeout_datagrams'), 2);
  assert.equal(decoder.stats.pendingDatagrams, 1);
  decoder.expire(T0 + 100);
  assert.equal(decoder.stats.pendingDatagrams, 0);
  assert.equal(decoder.stats.fragmentBytesHeld, 0);
});

test('memcap: the oldest pending datagram is dropped first, and a fragment bigger than the cap is refused', () => {
  const { decoder, counters } = makeDecoder({ fragmentMemcapBytes: 250 });
  const payload = udpDatagram();
  assert.equal(decoder.decode(v4Fragment(payload.subarray(0, 64), 0, true, 1)), null);
  assert.equal(decoder.decode(v4Fragment(payload.subarray(0, 64), 0, true, 2)), null);
  assert.equal(counters.get('decoder.frag_memcap_drop_datagrams'), 1);
  assert.equal(counters.get('decoder.frag_memcap_drop'), 1);
  assert.equal(decoder.stats.fragmentBytesHeld, 64 + FRAGMENT_OVERHEAD);
  // datagram 2 can still complete
  const packet = decoder.decode(v4Fragment(payload.subarray(64), 64, false, 2));
  assert.deepEqual(packet?.payload, message);
  assert.equal(decoder.decode(v4Fragment(Buffer.alloc(200), 0, true, 3)), null);
  assert.equal(counters.get('decoder.frag_memcap_drop'), 2);
  assert.equal(decoder.stats.pendingDatagrams, 0);
});

test('too many fragments drop the datagram', () => {
  const { decoder, counters } = makeDecoder({ maxFragmentsPerDatagram: 3 });
  const frames = v4Fragments(udpDatagram(), 16);
  for (const item of frames) assert.equal(decoder.decode(item), null);
  assert.equal(counters.get('decoder.frag_too_many'), 1);
});

test('a fragment reaching past 65535 bytes and conflicting last fragments are anomalies', () => {
  const { decoder, counters } = makeDecoder();
  assert.equal(decoder.decode(v4Fragment(Buffer.alloc(64), 65528, true, 5)), null);
  assert.equal(counters.get('decoder.frag_too_large'), 1);
  assert.equal(decoder.decode(v4Fragment(Buffer.alloc(16), 64, false, 6)), null);
  assert.equal(decoder.decode(v4Fragment(Buffer.alloc(16), 72, false, 6)), null);
  assert.equal(counters.get('decoder.frag_length_mismatch'), 2);
});

test('IPv6 fragments (with extension headers before and after the fragment header) reassemble', () => {
  const { decoder } = makeDecoder();
  const src = '2001:db8::10';
  const dst = '2001:db8::20';
  const data = Buffer.alloc(300, 0x41);
  // the fragmentable part: destination options, then TCP (checksum computed over the whole segment)
  const whole = ipv6({ src, dst, protocol: 6, extensions: [{ type: 60 }] }, tcp({ srcPort: 445, dstPort: 50000, seq: 99, flags: 0x18 }, data));
  const fragmentable = whole.subarray(40);
  const pieces = splitFragments(fragmentable, 128);
  const frames = pieces.map((piece) =>
    frame(LinkType.RAW, ipv6({ src, dst, protocol: 60, extensions: [{ type: 0 }, { type: 44, fragOffset: piece.fragOffset, more: piece.more, id: 0xabcdef01 }] }, piece.data)),
  );
  assert.equal(decoder.decode(frames[2]!), null);
  assert.equal(decoder.decode(frames[0]!), null);
  const packet = decoder.decode(frames[1]!);
  assert.ok(packet);
  assert.equal(packet.ip?.reassembled, true);
  assert.equal(packet.ip?.id, 0xabcdef01);
  assert.deepEqual(packet.ip?.extensionHeaders, [0, 44, 60]);
  assert.equal(packet.ip?.protocol, 6);
  assert.equal(packet.tcp?.seq, 99);
  assert.deepEqual(packet.payload, data);
  assert.equal(packet.ip?.totalLength, 40 + 8 + 8 + fragmentable.length);
});

test('fragments of different datagrams and protocols do not mix', () => {
  const { decoder } = makeDecoder();
  const payload = udpDatagram();
  assert.equal(decoder.decode(v4Fragment(payload.subarray(0, 48), 0, true, 1)), null);
  assert.equal(decoder.decode(v4Fragment(payload.subarray(0, 48), 0, true, 2)), null);
  assert.equal(decoder.stats.pendingDatagrams, 2);
  assert.deepEqual(decoder.decode(v4Fragment(payload.subarray(48), 48, false, 2))?.payload, message);
  assert.equal(decoder.stats.pendingDatagrams, 1);
});

test('a flood of empty first fragments stays inside the memcap', () => {
  const { decoder, counters } = makeDecoder({ fragmentMemcapBytes: 100 * FRAGMENT_OVERHEAD });
  for (let id = 0; id < 1000; id++) assert.equal(decoder.decode(v4Fragment(Buffer.alloc(0), 0, true, id)), null);
  assert.equal(decoder.stats.pendingDatagrams, 100);
  assert.equal(counters.get('decoder.frag_memcap_drop_datagrams'), 900);
});
