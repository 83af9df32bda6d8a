import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildPcap, synthesizeTcpExchange, synthesizeUdpExchange } from '../../src/capture/index.ts';
import { compareTimestamps, LinkType, TcpFlag } from '../../src/core/index.ts';
import { PacketDecoder } from '../../src/decode/index.ts';
import { defaultConfig } from '../../src/config/index.ts';
import { Counters } from '../../src/core/index.ts';
import { directionBytes, sessionsOf, tshark, tsharkFollowTcp } from './pipeline.ts';

const work = mkdtempSync(join(tmpdir(), 'crashtest-synth-'));
after(() => rmSync(work, { recursive: true, force: true }));

function bytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let index = 0; index < length; index++) out[index] = (index * 31 + seed) & 0xff;
  return out;
}

const at = (seconds: number) => ({ seconds: 1_700_000_000 + seconds, nanoseconds: 0 });
const request = bytes(5000, 1);
const response = bytes(3001, 7);
const TURNS = [
  { direction: 'to_server' as const, data: request, time: at(1) },
  { direction: 'to_client' as const, data: response, time: at(2) },
  { direction: 'to_server' as const, data: Buffer.from('quit\r\n'), time: at(3) },
];
const PEERS = { client: { ip: '203.0.113.5', port: 40_000 }, server: { ip: '10.0.0.8', port: 80 } };

describe('session synthesizer', () => {
  it('a TCP exchange has a handshake, MSS-sized segments with consistent seq/ack, and a FIN exchange', () => {
    const frames = synthesizeTcpExchange({ ...PEERS, turns: TURNS, mss: 1000 });
    const counters = new Counters();
    const decoder = new PacketDecoder(defaultConfig().decode, counters);
    const packets = frames.map((frame) => decoder.decode(frame)!);
    assert.ok(packets.every((packet) => packet.tcp !== null && packet.anomalies.length === 0), 'every frame decodes cleanly');
    assert.deepEqual(packets.slice(0, 3).map((packet) => packet.tcp!.flags), [TcpFlag.SYN, TcpFlag.SYN | TcpFlag.ACK, TcpFlag.ACK]);
    assert.ok(packets.every((packet) => packet.payload.length <= 1000));
    assert.equal(packets.filter((packet) => packet.payload.length > 0).length, 5 + 4 + 1);
    const last = packets.slice(-3).map((packet) => packet.tcp!.flags);
    assert.deepEqual(last, [TcpFlag.FIN | TcpFlag.ACK, TcpFlag.FIN | TcpFlag.ACK, TcpFlag.ACK]);
    // each side's seq advances by what it sent; the other side's ack follows it
    const synAck = packets[1]!.tcp!;
    assert.equal(synAck.ack, (packets[0]!.tcp!.seq + 1) >>> 0);
    for (let index = 1; index < frames.length; index++) assert.ok(compareTimestamps(frames[index - 1]!, frames[index]!) < 0, 'strictly increasing times');
    assert.deepEqual(frames.map((frame) => frame.index), frames.map((_, index) => index));
  });

  it('a synthesized TCP exchange reassembles through decode and flow into the same turns', () => {
    const frames = synthesizeTcpExchange({ ...PEERS, turns: TURNS });
    const { sessions } = sessionsOf(frames);
    assert.equal(sessions.length, 1);
    const session = sessions[0]!;
    assert.equal(session.endReason, 'fin');
    assert.equal(session.midstream, false);
    assert.equal(session.client.ip, PEERS.client.ip);
    assert.deepEqual(session.turns.map((turn) => [turn.direction, turn.data.toString('hex')]), TURNS.map((turn) => [turn.direction, turn.data.toString('hex')]));
    assert.deepEqual(session.turns.map((turn) => turn.seconds), TURNS.map((turn) => turn.time.seconds));
    assert.deepEqual(session.anomalies, []);
  });

  it('sequence numbers that wrap past 2^32 and IPv6 peers reassemble too', () => {
    const frames = synthesizeTcpExchange({
      client: { ip: '2001:db8::5', port: 40_001 },
      server: { ip: '2001:db8::8', port: 443 },
      turns: TURNS,
      clientSequence: 0xffff_ff00,
      serverSequence: 0xffff_fff0,
    });
    const session = sessionsOf(frames).sessions[0]!;
    assert.equal(directionBytes(session, 'to_server').toString('hex'), Buffer.concat([request, Buffer.from('quit\r\n')]).toString('hex'));
    assert.equal(directionBytes(session, 'to_client').toString('hex'), response.toString('hex'));
  });

  it('tshark reads the synthesized pcap without complaint and follows the stream to the same bytes', () => {
    const path = join(work, 'tcp.pcap');
    writeFileSync(path, buildPcap(LinkType.ETHERNET, synthesizeTcpExchange({ ...PEERS, turns: TURNS })));
    const expert = tshark(['-r', path, '-q', '-z', 'expert,warn']);
    assert.doesNotMatch(expert, /Malformed|checksum|Previous segment|retransmission/i, expert);
    const followed = tsharkFollowTcp(path);
    assert.ok(followed.toServer.equals(Buffer.concat([request, Buffer.from('quit\r\n')])), 'client bytes');
    assert.ok(followed.toClient.equals(response), 'server bytes');
  });

  it('a UDP exchange is one datagram per turn and reassembles into the same turns', () => {
    const turns = [
      { direction: 'to_server' as const, data: Buffer.from('question'), time: at(1) },
      { direction: 'to_client' as const, data: Buffer.from('answer'), time: at(1) },
      { direction: 'to_server' as const, data: Buffer.alloc(0), time: at(2) },
    ];
    const frames = synthesizeUdpExchange({ client: { ip: '10.0.0.8', port: 5353 }, server: { ip: '198.51.100.53', port: 53 }, turns });
    assert.equal(frames.length, 2, 'an empty turn sends nothing');
    const session = sessionsOf(frames).sessions[0]!;
    assert.equal(session.proto, 'udp');
    assert.deepEqual(session.turns.map((turn) => turn.data.toString()), ['question', 'answer']);
  });

  it('rejects mixed address families and impossible sizes with CT_ERR_INVALID_ARGUMENT', () => {
    assert.throws(() => synthesizeTcpExchange({ client: { ip: '10.0.0.1', port: 1 }, server: { ip: '::1', port: 2 }, turns: [] }), { code: 'CT_ERR_INVALID_ARGUMENT' });
    assert.throws(() => synthesizeTcpExchange({ ...PEERS, turns: [], mss: 0 }), { code: 'CT_ERR_INVALID_ARGUMENT' });
    assert.throws(() => synthesizeUdpExchange({ ...PEERS, turns: [{ direction: 'to_server', data: Buffer.alloc(70_000), time: at(0) }] }), {
      code: 'CT_ERR_INVALID_ARGUMENT',
    });
  });
});
