import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Counters } from '../../src/core/index.ts';
import type { Session } from '../../src/core/index.ts';
import type { FlowConfig } from '../../src/config/index.ts';
import { FlowTable } from '../../src/flow/index.ts';
import type { FlowTableOptions } from '../../src/flow/index.ts';
import { Conversation, TcpFlag, flowConfig, tcp, udp } from './factory.ts';

const { SYN, ACK, FIN, RST, PSH } = TcpFlag;

function setup(overrides: Partial<FlowConfig> = {}, options: FlowTableOptions = {}) {
  const counters = new Counters();
  const sessions: Session[] = [];
  const table = new FlowTable(flowConfig(overrides), counters, (session) => sessions.push(session), options);
  return { table, counters, sessions };
}

function stream(session: Session, direction: 'to_server' | 'to_client'): string {
  return Buffer.concat(session.turns.filter((turn) => turn.direction === direction).map((turn) => turn.data)).toString();
}

function turnSummary(session: Session): string[] {
  return session.turns.map((turn) => `${turn.direction === 'to_server' ? '>' : '<'}${turn.data.toString()}`);
}

describe('FlowTable: TCP sessions', () => {
  test('a full handshake, dialog and FIN close', () => {
    const { table, sessions, counters } = setup();
    const c = new Conversation();
    for (const packet of c.handshake()) table.add(packet);
    table.add(c.fromClient(ACK | PSH, 'GET / HTTP/1.0\r\n'));
    table.add(c.fromClient(ACK | PSH, '\r\n'));
    table.add(c.fromServer(ACK));
    table.add(c.fromServer(ACK | PSH, 'HTTP/1.0 200 OK\r\n\r\n'));
    table.add(c.fromServer(ACK | PSH, 'body'));
    table.add(c.fromClient(ACK | PSH, 'more'));
    table.add(c.fromServer(FIN | ACK));
    table.add(c.fromClient(FIN | ACK));
    table.add(c.fromServer(ACK));
    assert.equal(sessions.length, 0, 'closed sessions wait for trailing packets');
    table.flush('end_of_capture');
    assert.equal(sessions.length, 1);
    const session = sessions[0];
    assert.equal(session.proto, 'tcp');
    assert.deepEqual(session.client, { ip: '10.0.0.1', port: 40000, mac: 0x0a0000000001, ttl: 128 });
    assert.deepEqual(session.server, { ip: '10.0.0.2', port: 80, mac: 0x0b0000000002, ttl: 64 });
    assert.equal(session.midstream, false);
    assert.equal(session.endReason, 'fin');
    assert.deepEqual(turnSummary(session), ['>GET / HTTP/1.0\r\n\r\n', '<HTTP/1.0 200 OK\r\n\r\nbody', '>more']);
    assert.deepEqual(session.toServer, { frames: 6, bytes: 6 * 54 + 22, payloadBytes: 22, missingBytes: 0 });
    assert.deepEqual(session.toClient, { frames: 6, bytes: 6 * 54 + 23, payloadBytes: 23, missingBytes: 0 });
    assert.equal(session.turns[0].seconds, 100);
    assert.equal(session.turns[0].nanoseconds, 4_000_000);
    assert.equal(session.startSeconds, 100);
    assert.equal(session.endNanoseconds, 12_000_000);
    assert.equal(counters.get('flow.ended.fin'), 1);
  });

  test('a closed session ends after the closed timeout, an idle one after the idle timeout', () => {
    const { table, sessions, counters } = setup({ tcpClosedTimeoutMs: 5_000, tcpIdleTimeoutMs: 60_000 });
    const closed = new Conversation({ ip: '10.0.0.1', port: 40000 }, { ip: '10.0.0.2', port: 80 }, { time: 100 });
    const idle = new Conversation({ ip: '10.0.0.3', port: 40000 }, { ip: '10.0.0.2', port: 80 }, { time: 100 });
    for (const packet of closed.handshake()) table.add(packet);
    for (const packet of idle.handshake()) table.add(packet);
    table.add(idle.fromClient(ACK, 'x'));
    table.add(closed.fromClient(RST));
    table.expire(104);
    assert.equal(sessions.length, 0);
    table.expire(106);
    assert.deepEqual(sessions.map((s) => [s.client.ip, s.endReason]), [['10.0.0.1', 'rst']]);
    table.expire(159);
    assert.equal(sessions.length, 1);
    table.expire(161);
    assert.deepEqual(sessions.map((s) => [s.client.ip, s.endReason]), [['10.0.0.1', 'rst'], ['10.0.0.3', 'timeout']]);
    assert.equal(counters.get('flow.timeouts.tcp'), 1);
    assert.equal(table.size, 0);
  });

  test('timeouts follow capture time: packets advance the clock and expire other flows', () => {
    const { table, sessions } = setup({ tcpEmbryonicTimeoutMs: 30_000, udpIdleTimeoutMs: 10_000 });
    table.add(tcp({ src: '1.1.1.1', dst: '2.2.2.2', srcPort: 1234, dstPort: 80, seq: 1, flags: SYN, time: 1000 }));
    table.add(udp({ src: '1.1.1.1', dst: '2.2.2.2', srcPort: 1234, dstPort: 53, payload: 'q', time: 1000 }));
    table.add(udp({ src: '3.3.3.3', dst: '2.2.2.2', srcPort: 999, dstPort: 53, payload: 'q', time: 1015 }));
    assert.deepEqual(sessions.map((s) => `${s.proto}:${s.endReason}`), ['udp:timeout']);
    table.add(udp({ src: '3.3.3.3', dst: '2.2.2.2', srcPort: 999, dstPort: 53, payload: 'q', time: 1024 }));
    assert.equal(sessions.length, 1, 'the embryonic TCP flow has 30 s');
    table.add(udp({ src: '3.3.3.3', dst: '2.2.2.2', srcPort: 999, dstPort: 53, payload: 'q', time: 1031 }));
    assert.deepEqual(sessions.map((s) => `${s.proto}:${s.endReason}`), ['udp:timeout', 'tcp:timeout']);
  });

  test('SYN-ACK only: its receiver is the client', () => {
    const { table, sessions } = setup();
    const c = new Conversation({ ip: '192.168.1.5', port: 1042 }, { ip: '192.168.1.9', port: 445 });
    table.add(c.fromServer(SYN | ACK));
    table.add(c.fromClient(ACK, 'hello'));
    table.flush('end_of_capture');
    assert.equal(sessions[0].client.ip, '192.168.1.5');
    assert.equal(sessions[0].midstream, false);
    assert.equal(stream(sessions[0], 'to_server'), 'hello');
  });

  describe('mid-stream pick-up', () => {
    const cases: [string, number, number, boolean][] = [
      // [what, first packet's source port, destination port, source is client]
      ['the service port side (< 1024) is the server', 80, 51000, false],
      ['a registered service port is the server even against an old Windows ephemeral port', 3389, 1042, false],
      ['a service port as destination', 1042, 445, true],
      ['neither is a service port: the higher port is the client', 40000, 50000, false],
      ['neither is a service port: the higher port is the client (source)', 50000, 40000, true],
      ['both below 1024: the higher port is the client', 1023, 513, true],
      ['equal ports: the first sender is the client', 5001, 5001, true],
    ];
    for (const [what, sourcePort, destinationPort, sourceIsClient] of cases) {
      test(what, () => {
        const { table, sessions } = setup();
        table.add(tcp({ src: '10.1.1.1', dst: '10.2.2.2', srcPort: sourcePort, dstPort: destinationPort, seq: 7, flags: ACK, payload: 'abc', time: 1 }));
        table.flush('end_of_capture');
        const session = sessions[0];
        assert.equal(session.midstream, true);
        assert.equal(session.client.ip, sourceIsClient ? '10.1.1.1' : '10.2.2.2');
        assert.equal(stream(session, sourceIsClient ? 'to_server' : 'to_client'), 'abc');
      });
    }

    test('reassembly starts from the first segment seen', () => {
      const { table, sessions } = setup();
      const c = new Conversation({ ip: '10.0.0.1', port: 50000 }, { ip: '10.0.0.2', port: 21 }, { clientIsn: 0xfffffff0 });
      table.add(c.fromServer(ACK | PSH, '220 ready\r\n'));
      table.add(c.fromClient(ACK | PSH, 'USER anonymous\r\n'));
      table.add(c.fromServer(ACK | PSH, '331 ok\r\n'));
      table.flush('end_of_capture');
      assert.deepEqual(turnSummary(sessions[0]), ['<220 ready\r\n', '>USER anonymous\r\n', '<331 ok\r\n']);
    });
  });

  test('out-of-order segments, retransmissions and turns that concatenate to each stream', () => {
    const { table, sessions } = setup();
    const c = new Conversation();
    for (const packet of c.handshake()) table.add(packet);
    const start = c.clientSeq;
    const late = c.fromClient(ACK, 'AAAA'); // held back
    const second = c.fromClient(ACK, 'BBBB');
    table.add(second);
    table.add(c.fromServer(ACK)); // dup ack
    table.add(late);
    table.add(c.fromClient(ACK, 'BBBB', start + 4)); // retransmission
    table.add(c.fromServer(ACK, 'reply1'));
    table.add(c.fromClient(ACK, 'CC'));
    table.add(c.fromServer(ACK, 'reply2'));
    table.add(c.fromServer(ACK, 'reply2', c.serverSeq - 6)); // retransmission
    table.flush('end_of_capture');
    const session = sessions[0];
    assert.deepEqual(turnSummary(session), ['>AAAABBBB', '<reply1', '>CC', '<reply2']);
    assert.equal(stream(session, 'to_server'), 'AAAABBBBCC');
    assert.equal(stream(session, 'to_client'), 'reply1reply2');
    assert.equal(session.toServer.payloadBytes, 10);
    assert.equal(session.toServer.frames, 2 + 4, 'every frame counts, retransmissions too');
    assert.equal(session.toClient.payloadBytes, 12);
    assert.deepEqual(session.anomalies, []);
  });

  for (const policy of ['first', 'last'] as const) {
    test(`conflicting overlaps under the '${policy}' policy`, () => {
      const { table, sessions, counters } = setup({ overlapPolicy: policy });
      const c = new Conversation();
      for (const packet of c.handshake()) table.add(packet);
      const start = c.clientSeq;
      table.add(c.fromClient(ACK, 'GET /safe'));
      table.add(c.fromClient(ACK, 'GET /safe', start)); // agrees: no anomaly
      assert.equal(counters.get('flow.reassembly_overlap_mismatch'), 0);
      table.add(c.fromClient(ACK, 'GET /evil', start));
      table.add(c.fromServer(ACK, 'HTTP/1.0 200'));
      table.flush('end_of_capture');
      assert.equal(stream(sessions[0], 'to_server'), policy === 'first' ? 'GET /safe' : 'GET /evil');
      assert.deepEqual(sessions[0].anomalies, ['reassembly_overlap_mismatch']);
      assert.equal(counters.get('flow.reassembly_overlap_mismatch'), 1);
    });
  }

  test('a gap that never fills is skipped at the end of the session', () => {
    const { table, sessions, counters } = setup();
    const c = new Conversation();
    for (const packet of c.handshake()) table.add(packet);
    table.add(c.fromClient(ACK, 'head'));
    c.clientSeq += 5; // five bytes the capture lost
    table.add(c.fromClient(ACK, 'tail'));
    table.add(c.fromServer(ACK, 'ok'));
    table.flush('end_of_capture');
    const session = sessions[0];
    assert.deepEqual(turnSummary(session), ['>head', '<ok', '>tail']);
    assert.equal(session.toServer.missingBytes, 5);
    assert.equal(session.toServer.payloadBytes, 8);
    assert.deepEqual(session.anomalies, ['reassembly_gap']);
    assert.equal(counters.get('flow.reassembly_gap'), 1);
    assert.equal(session.turns[2].seconds, session.endSeconds);
  });

  test('SYN payload is delivered', () => {
    const { table, sessions } = setup();
    const c = new Conversation();
    table.add(c.fromClient(SYN, 'early'));
    table.add(c.fromServer(SYN | ACK));
    table.add(c.fromClient(ACK, ' data'));
    table.flush('end_of_capture');
    assert.equal(stream(sessions[0], 'to_server'), 'early data');
  });

  test('port reuse: a SYN after FIN both ways or RST starts a new session', () => {
    const { table, sessions, counters } = setup();
    const first = new Conversation();
    for (const packet of first.handshake()) table.add(packet);
    table.add(first.fromClient(ACK, 'one'));
    table.add(first.fromClient(FIN | ACK));
    table.add(first.fromServer(FIN | ACK));
    const second = new Conversation(undefined, undefined, { clientIsn: 90000, time: 101 });
    for (const packet of second.handshake()) table.add(packet);
    table.add(second.fromClient(ACK, 'two'));
    table.add(second.fromServer(RST));
    const third = new Conversation(undefined, undefined, { clientIsn: 190000, time: 102 });
    table.add(third.fromClient(SYN));
    table.flush('end_of_capture');
    assert.deepEqual(
      sessions.map((s) => [s.id, s.endReason, stream(s, 'to_server')]),
      [
        [1, 'fin', 'one'],
        [2, 'rst', 'two'],
        [3, 'end_of_capture', ''],
      ],
    );
    assert.equal(counters.get('flow.port_reuse'), 2);
  });

  test('a SYN repeating the initial sequence after an RST stays in the same session', () => {
    const { table, sessions, counters } = setup();
    const c = new Conversation(undefined, undefined, { clientIsn: 0 });
    table.add(c.fromClient(SYN));
    table.add(c.fromServer(SYN | ACK));
    table.add(c.fromClient(RST));
    table.add(c.fromClient(SYN | FIN | 0x20, '', 0)); // crafted SYN|FIN|URG with the same ISN
    table.add(c.fromClient(SYN, '', 1_000_000)); // a new connection
    table.flush('end_of_capture');
    assert.deepEqual(sessions.map((s) => s.toServer.frames), [3, 1]);
    assert.equal(counters.get('flow.port_reuse'), 1);
  });

  test('the depth limit truncates the stored payload but counts everything', () => {
    const { table, sessions, counters } = setup({ reassemblyDepthBytes: 10 });
    const c = new Conversation();
    for (const packet of c.handshake()) table.add(packet);
    table.add(c.fromClient(ACK, '123456'));
    table.add(c.fromServer(ACK, 'abcdef'));
    table.add(c.fromClient(ACK, '789'));
    table.flush('end_of_capture');
    const session = sessions[0];
    assert.equal(session.truncated, true);
    assert.deepEqual(turnSummary(session), ['>123456', '<abcd']);
    assert.equal(session.toClient.payloadBytes, 6);
    assert.equal(session.toServer.payloadBytes, 9);
    assert.equal(counters.get('flow.truncated'), 1);
  });

  test('VLANs and QinQ keep otherwise identical flows apart', () => {
    const { table, sessions } = setup();
    for (const [vlan, innerVlan] of [[-1, -1], [10, -1], [10, 20], [11, 20]]) {
      const c = new Conversation(undefined, undefined, { vlan, innerVlan });
      table.add(c.fromClient(SYN));
      table.add(c.fromServer(SYN | ACK));
    }
    assert.equal(table.size, 4);
    table.flush('end_of_capture');
    assert.deepEqual(sessions.map((s) => [s.vlan, s.innerVlan, s.toServer.frames, s.toClient.frames]), [
      [-1, -1, 1, 1],
      [10, -1, 1, 1],
      [10, 20, 1, 1],
      [11, 20, 1, 1],
    ]);
  });

  test('TCP and UDP on the same addresses and ports are different flows', () => {
    const { table, sessions } = setup();
    const ends = { src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5000, dstPort: 53 };
    const back = { src: '10.0.0.2', dst: '10.0.0.1', srcPort: 53, dstPort: 5000 };
    table.add(udp({ ...ends, payload: 'u1', time: 1 }));
    table.add(tcp({ ...ends, seq: 1, flags: SYN, time: 2 }));
    table.add(udp({ ...back, payload: 'u2', time: 3 }));
    table.add(tcp({ ...back, seq: 9, ack: 2, flags: SYN | ACK, time: 4 }));
    table.add(tcp({ ...ends, seq: 2, ack: 10, flags: ACK, payload: 't1', time: 5 }));
    table.flush('end_of_capture');
    assert.deepEqual(
      sessions.map((s) => [s.proto, s.toServer.frames, s.toClient.frames, stream(s, 'to_server'), stream(s, 'to_client')]),
      [
        ['udp', 1, 1, 'u1', 'u2'],
        ['tcp', 2, 1, 't1', ''],
      ],
    );
  });

  test('other IP protocols and non-IP frames are counted, not tracked', () => {
    const { table, counters } = setup();
    const icmp = udp({ src: '1.1.1.1', dst: '2.2.2.2', srcPort: 0, dstPort: 0 });
    icmp.udp = null;
    icmp.ip!.protocol = 1;
    table.add(icmp);
    const arp = udp({ src: '1.1.1.1', dst: '2.2.2.2', srcPort: 0, dstPort: 0 });
    arp.ip = null;
    table.add(arp);
    table.flush('end_of_capture');
    assert.equal(table.size, 0);
    assert.equal(counters.get('flow.packets.other_ip'), 1);
    assert.equal(counters.get('flow.packets.non_ip'), 1);
  });
});

describe('FlowTable: UDP sessions', () => {
  test('one turn per datagram, concatenating to each direction', () => {
    const { table, sessions } = setup();
    const client = { src: '10.0.0.1', dst: '10.0.0.53', srcPort: 33000, dstPort: 53 };
    const server = { src: '10.0.0.53', dst: '10.0.0.1', srcPort: 53, dstPort: 33000 };
    table.add(udp({ ...client, payload: 'q1', time: 1 }));
    table.add(udp({ ...client, payload: 'q2', time: 2 }));
    table.add(udp({ ...server, payload: 'a1', time: 3 }));
    table.add(udp({ ...client, payload: '', time: 4 }));
    table.add(udp({ ...client, payload: 'q3', time: 5 }));
    table.flush('end_of_capture');
    const session = sessions[0];
    assert.equal(session.proto, 'udp');
    assert.equal(session.client.port, 33000);
    assert.deepEqual(turnSummary(session), ['>q1', '>q2', '<a1', '>q3']);
    assert.deepEqual(session.turns.map((turn) => turn.seconds), [1, 2, 3, 5]);
    assert.equal(session.toServer.frames, 4);
    assert.equal(session.toServer.payloadBytes, 6);
    assert.equal(session.endReason, 'end_of_capture');
  });

  test('a reply seen before its request: the service port is the server', () => {
    const { table, sessions } = setup();
    table.add(udp({ src: '10.0.0.53', dst: '10.0.0.1', srcPort: 53, dstPort: 33000, payload: 'answer' }));
    table.flush('end_of_capture');
    assert.equal(sessions[0].server.ip, '10.0.0.53');
    assert.equal(stream(sessions[0], 'to_client'), 'answer');
  });

  test('idle timeout is per protocol', () => {
    const { table, sessions, counters } = setup({ udpIdleTimeoutMs: 1_000, tcpEmbryonicTimeoutMs: 3_000 });
    table.add(udp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1000, dstPort: 2000, payload: 'x', time: 10 }));
    table.add(tcp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1000, dstPort: 2000, seq: 1, flags: SYN, time: 10 }));
    table.expire(11.5);
    assert.deepEqual(sessions.map((s) => s.proto), ['udp']);
    table.expire(13.5);
    assert.deepEqual(sessions.map((s) => s.proto), ['udp', 'tcp']);
    assert.equal(counters.get('flow.timeouts.udp'), 1);
    assert.equal(counters.get('flow.timeouts.tcp'), 1);
  });
});

describe('FlowTable: bounded resources', () => {
  test('maxFlows evicts the oldest idle flow and still emits it', () => {
    const { table, sessions, counters } = setup({ maxFlows: 2 });
    table.add(tcp({ src: '10.0.0.1', dst: '10.0.0.9', srcPort: 1001, dstPort: 80, seq: 1, flags: SYN, time: 1 }));
    table.add(tcp({ src: '10.0.0.2', dst: '10.0.0.9', srcPort: 1002, dstPort: 80, seq: 1, flags: SYN, time: 2 }));
    table.add(tcp({ src: '10.0.0.1', dst: '10.0.0.9', srcPort: 1001, dstPort: 80, seq: 1, flags: SYN, time: 3 })); // touches the first
    table.add(tcp({ src: '10.0.0.3', dst: '10.0.0.9', srcPort: 1003, dstPort: 80, seq: 1, flags: SYN, time: 4 }));
    assert.equal(table.size, 2);
    assert.deepEqual(sessions.map((s) => [s.client.ip, s.endReason]), [['10.0.0.2', 'evicted']]);
    assert.equal(counters.get('flow.max_flows_evictions'), 1);
  });

  test('memcap evicts oldest idle flows (buffered payload counts), never the current one', () => {
    const { table, sessions, counters } = setup({ memcapBytes: 50_000 });
    const big = Buffer.alloc(4000, 0x41);
    for (let index = 0; index < 4; index++) {
      const c = new Conversation({ ip: `10.0.0.${index + 1}`, port: 40000 }, { ip: '10.0.0.99', port: 80 }, { time: 10 + index });
      for (const packet of c.handshake()) table.add(packet);
      table.add(c.fromClient(ACK, big));
      table.add(c.fromClient(ACK, big));
      assert.ok(table.memoryBytes <= 50_000, `memory ${table.memoryBytes}`);
    }
    assert.ok(counters.get('flow.memcap_evictions') >= 1);
    assert.ok(sessions.length >= 1);
    assert.ok(sessions.every((s) => s.endReason === 'evicted'));
    assert.equal(sessions[0].client.ip, '10.0.0.1');
    assert.equal(sessions[0].toServer.payloadBytes, 8000);
    table.flush('end_of_capture');
    assert.equal(table.memoryBytes, 0);
  });

  test('a 200k-flow SYN flood stays within maxFlows and counts evictions', () => {
    const { table, sessions, counters } = setup({ maxFlows: 1000 });
    let emitted = 0;
    let peak = 0;
    sessions.push = () => ++emitted;
    for (let index = 0; index < 200_000; index++) {
      const src = `10.${(index >>> 16) & 255}.${(index >>> 8) & 255}.${index & 255}`;
      table.add(tcp({ src, dst: '192.0.2.1', srcPort: 1024 + (index % 60000), dstPort: 445, seq: index, flags: SYN, time: 1000 + index / 100_000 }));
      if (table.size > peak) peak = table.size;
    }
    assert.ok(peak <= 1000, `peak ${peak}`);
    assert.equal(counters.get('flow.max_flows_evictions'), 199_000);
    table.flush('end_of_capture');
    assert.equal(emitted, 200_000);
    assert.equal(counters.get('flow.active_peak'), 1000);
  });
});

test('capture time running backwards is counted, and timeouts wait for the latest time seen', () => {
  const counters = new Counters();
  const sessions: Session[] = [];
  const table = new FlowTable(flowConfig({ udpIdleTimeoutMs: 60_000 }), counters, (session) => sessions.push(session));
  const late = new Conversation({ ip: '10.0.0.1', port: 40000 }, undefined, { time: 1_000_000 });
  for (const packet of late.handshake()) table.add(packet);
  // a second flow whose clock is a day behind (a merged capture, a wrapped 32-bit time)
  const early = new Conversation({ ip: '10.0.0.3', port: 40001 }, undefined, { time: 1_000_000 - 86_400 });
  for (const packet of early.handshake()) table.add(packet);
  for (let index = 0; index < 10; index++) table.add(early.fromClient(TcpFlag.ACK, 'x', undefined, 3_600));
  table.expire(1_000_000);
  assert.equal(counters.get('flow.time_went_backwards'), 13);
  // ten hours of the early clock passed, but it is still behind the latest time: nothing timed out
  assert.equal(sessions.length, 0);
  table.flush('end_of_capture');
  assert.equal(sessions.length, 2);
});
