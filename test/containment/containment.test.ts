import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCrashtestError } from '../../src/core/index.ts';
import { Containment, sniffTcp, type EgressEvent } from '../../src/containment/index.ts';
import { drain, eventsOf, exchange, fakeClock, makeContainment } from './helpers.ts';

describe('protocol detection', () => {
  it('lets the first bytes win over the port, and the port decide when they say nothing', () => {
    const cases: Array<[number, string | Uint8Array, string]> = [
      [4444, 'GET / HTTP/1.1\r\n\r\n', 'http'],
      [8443, Uint8Array.of(0x16, 3, 1, 0, 5, 1, 0, 0, 1, 0), 'tls'],
      [4444, Uint8Array.of(0x30, 0x0c, 0x02, 0x01, 0x01), 'ldap'],
      [80, 'JRMI\x00\x02K', 'rmi'],
      [4444, 'Microsoft Windows XP [Version 5.1.2600]\r\n', 'raw'],
      [80, '\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90', 'http'],
      [443, 'hello there, not a hello', 'tls'],
      [9999, '\x00\x01', 'raw'],
    ];
    for (const [port, bytes, sink] of cases) {
      const containment = makeContainment();
      const connection = containment.connectTcp({ address: '198.51.100.7', port })!;
      connection.send(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
      drain(connection);
      connection.close();
      assert.equal(eventsOf(containment.events, 'tcp_closed')[0]!.facts.sink, sink, `${port} ${JSON.stringify(bytes)}`);
    }
  });

  it('waits for more bytes while they could still start a protocol', () => {
    assert.equal(sniffTcp(Buffer.from('GE')), 'need_more');
    assert.equal(sniffTcp(Buffer.from('GET ')), 'http');
    assert.equal(sniffTcp(Uint8Array.of(0x16)), 'need_more');
    assert.equal(sniffTcp(Buffer.from('xyz')), null);
    const containment = makeContainment();
    const connection = containment.connectTcp({ address: '198.51.100.7', port: 31337 })!;
    connection.send(Buffer.from('PO'));
    assert.equal(connection.sinkName, null);
    connection.send(Buffer.from('ST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n'));
    assert.equal(connection.sinkName, 'http');
    assert.match(drain(connection), /^HTTP\/1\.1 200/);
  });
});

describe('containment', () => {
  it('records a connect-back as connect then close, with the first bytes and who sent them', () => {
    const seen: EgressEvent[] = [];
    const containment = new Containment({ dummyId: 'd7', profileId: 'win-vista-sp1', clock: fakeClock(100), onEvent: (event) => seen.push(event) });
    const connection = containment.connectTcp({ address: '192.168.3.205', port: 4444 }, { address: '10.13.37.100', port: 49_200 })!;
    assert.equal(exchange(connection, 'Microsoft Windows [Version 6.0.6001]\r\n'), '');
    assert.equal(connection.drained, false, 'the raw sink keeps listening');
    connection.close();
    connection.close();
    assert.deepEqual(seen.map((event) => event.facts.kind), ['tcp_connect', 'tcp_closed']);
    const [connect, closed] = seen as [EgressEvent, EgressEvent];
    assert.deepEqual(
      { sequence: connect.sequence, time: connect.time, dummyId: connect.dummyId, profileId: connect.profileId, protocol: connect.protocol, transport: connect.transport, destination: connect.destination, source: connect.source },
      { sequence: 1, time: { seconds: 100, nanoseconds: 0 }, dummyId: 'd7', profileId: 'win-vista-sp1', protocol: 'tcp', transport: 'tcp', destination: { address: '192.168.3.205', port: 4444 }, source: { address: '10.13.37.100', port: 49_200 } },
    );
    assert.equal(closed.connectionId, connect.connectionId);
    assert.ok(closed.facts.kind === 'tcp_closed' && closed.facts.firstBytesHex.startsWith(Buffer.from('Microsoft').toString('hex')));
    assert.deepEqual(containment.events, seen);
  });

  it('refuses connections over the cap, and counts and records each refusal', () => {
    const containment = makeContainment({ limits: { maxConnections: 2 } });
    assert.ok(containment.connectTcp({ address: '1.1.1.1', port: 1 }));
    assert.ok(containment.connectTcp({ address: '1.1.1.1', port: 2 }));
    assert.equal(containment.connectTcp({ address: '1.1.1.1', port: 3 }), null);
    assert.equal(containment.connectTcp({ address: '1.1.1.1', port: 4 }), null);
    assert.equal(containment.counters.get('containment.connections_refused_cap'), 2);
    assert.deepEqual(eventsOf(containment.events, 'tcp_refused').map((event) => event.destination.port), [3, 4]);
  });

  it('keeps at most the recording cap of a connection and counts the rest', () => {
    const containment = makeContainment({ limits: { maxRecordedBytesPerConnection: 100 } });
    const connection = containment.connectTcp({ address: '1.1.1.1', port: 4444 })!;
    assert.equal(connection.send(new Uint8Array(80).fill(0x41)), 80);
    assert.equal(connection.send(new Uint8Array(80).fill(0x42)), 80);
    connection.send(new Uint8Array(40));
    connection.close();
    const [closed] = eventsOf(containment.events, 'tcp_closed');
    assert.equal(closed!.facts.bytesFromDummy, 200);
    assert.equal(closed!.facts.truncated, true);
    assert.equal(containment.counters.get('containment.bytes_unrecorded'), 100);
    assert.equal(containment.counters.get('containment.connections_truncated'), 1);
  });

  it('drops events past the cap, counting every one', () => {
    const containment = makeContainment({ limits: { maxEvents: 3 } });
    for (let index = 0; index < 10; index++) containment.sendDatagram({ address: '10.0.0.9', port: 1434 }, Uint8Array.of(4, 1, 1, 1));
    assert.equal(containment.events.length, 3);
    assert.equal(containment.eventsDropped, 7);
    assert.equal(containment.counters.get('containment.events.udp_datagram'), 10);
  });

  it('records a raw UDP datagram (a worm copying itself) with its size and first bytes', () => {
    const containment = makeContainment();
    const slammer = new Uint8Array(376);
    slammer[0] = 0x04;
    assert.deepEqual(containment.sendDatagram({ address: '134.215.0.9', port: 1434 }, slammer), []);
    const [event] = eventsOf(containment.events, 'udp_datagram');
    assert.equal(event!.facts.bytes, 376);
    assert.equal(event!.facts.firstBytesHex.slice(0, 2), '04');
    assert.deepEqual(event!.destination, { address: '134.215.0.9', port: 1434 });
  });

  it('counts ICMP echoes per target: the first is an event, the total comes at close', () => {
    const containment = makeContainment();
    for (let index = 0; index < 4; index++) containment.icmpEcho('10.10.10.31', 32);
    containment.icmpEcho('10.10.10.32', 32);
    assert.deepEqual(eventsOf(containment.events, 'icmp_echo').map((event) => [event.destination.address, event.facts.count]), [['10.10.10.31', 1], ['10.10.10.32', 1]]);
    containment.close();
    assert.deepEqual(eventsOf(containment.events, 'icmp_echo').at(-1)!.facts.count, 4);
  });

  it('resolves names to the sinkhole and records the lookup', () => {
    const containment = makeContainment({ sinkhole: { ipv4: '10.66.0.1' } });
    assert.equal(containment.resolve('c2.example.org'), '10.66.0.1');
    assert.equal(containment.resolve('1.2.3.4'), '1.2.3.4');
    const [lookup] = eventsOf(containment.events, 'dns_query');
    assert.equal(lookup!.facts.via, 'resolver');
    assert.equal(lookup!.transport, 'resolver');
    assert.equal(containment.events.length, 1);
  });

  it('closes open connections on close, is idempotent, and refuses use after close', () => {
    const containment = makeContainment();
    const connection = containment.connectTcp({ address: '1.1.1.1', port: 4444 })!;
    containment.close();
    containment.close();
    containment.destroy();
    assert.ok(containment.closed);
    assert.ok(connection.closed);
    assert.equal(eventsOf(containment.events, 'tcp_closed')[0]!.facts.closedBy, 'containment');
    assert.throws(() => containment.connectTcp({ address: '1.1.1.1', port: 1 }), (error) => isCrashtestError(error, 'CT_ERR_INVALID_STATE'));
    assert.throws(() => containment.resolve('x'), (error) => isCrashtestError(error, 'CT_ERR_INVALID_STATE'));
  });

  it('stops construction on a broken option, naming the key', () => {
    const broken: Array<[object, string]> = [
      [{ limits: { maxEvents: 0 } }, 'limits.maxEvents'],
      [{ limits: { maxSockets: 5 } }, 'limits.maxSockets'],
      [{ sinkhole: { ipv4: 'not-an-address' } }, 'sinkhole.ipv4'],
      [{ ports: { 70000: 'http' } }, 'ports.70000'],
      [{ ports: { 70: 'gopher' } }, 'ports.70'],
      [{ dummyId: '' }, 'dummyId'],
    ];
    for (const [options, key] of broken) {
      assert.throws(() => makeContainment(options), (error) => isCrashtestError(error, 'CT_ERR_INVALID_ARGUMENT') && error.details.key === key, key);
    }
  });

  it('caps waiting transfers and answers the dummy with a protocol error', () => {
    const containment = makeContainment({ limits: { maxPendingTransfers: 1 } });
    const control = containment.connectTcp({ address: '192.0.2.10', port: 21 })!;
    drain(control);
    assert.match(exchange(control, 'PASV\r\n'), /^227 /);
    assert.match(exchange(control, 'PASV\r\n'), /^421 /);
    const [busy] = containment.sendDatagram({ address: '192.0.2.69', port: 69 }, Uint8Array.from([0, 1, 0x61, 0, ...Buffer.from('octet'), 0]));
    assert.equal(busy!.bytes[1], 5, 'a TFTP error');
    assert.equal(containment.counters.get('containment.transfers_refused_cap'), 2);
  });
});
