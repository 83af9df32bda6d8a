import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContainmentEndpoint, MAX_REPLAYED_BYTES, type CapturedPeer, type PeerLookup } from '../../src/containment/index.ts';
import { judge } from '../../src/verdict/index.ts';
import { drain, eventsOf, exchange, makeContainment, randomBytes } from './helpers.ts';

const text = (value: string): Uint8Array => Buffer.from(value, 'latin1');
const handler = { address: '192.168.3.205', port: 4444 };

/** A handler that sends a stage first, then answers two requests; the capture's second session there says one line. */
function peers(): CapturedPeer[] {
  const stage = randomBytes(5000, 7);
  return [
    {
      sessionId: 4,
      capturedClient: { address: '192.168.3.12', port: 58206 },
      turns: [
        { direction: 'to_client', data: Uint8Array.from([0x88, 0x13, 0, 0]) },
        { direction: 'to_client', data: stage },
        { direction: 'to_server', data: text('first request') },
        { direction: 'to_client', data: text('first answer') },
        { direction: 'to_server', data: text('second request') },
        { direction: 'to_client', data: text('second answer') },
        { direction: 'to_server', data: text('goodbye') },
      ],
    },
    { sessionId: 9, capturedClient: { address: '192.168.3.12', port: 58300 }, turns: [{ direction: 'to_client', data: text('again') }] },
  ];
}

function lookup(byDestination: Record<string, CapturedPeer[]>): PeerLookup {
  return (destination) => byDestination[`${destination.address}:${destination.port}`] ?? [];
}

describe('replayed-peer sink', () => {
  it('plays the captured server turns in step with the dummy, then closes; the events name the session', () => {
    const containment = makeContainment({ peers: lookup({ '192.168.3.205:4444': peers() }) });
    const connection = containment.connectTcp(handler)!;
    assert.equal(connection.sinkName, 'replayed-peer');
    // the handler speaks first: length and stage are there before the dummy says anything
    const opening = Buffer.from(drain(connection), 'latin1');
    assert.equal(opening.length, 4 + 5000);
    assert.equal(opening.readUInt32LE(0), 5000);
    assert.equal(connection.drained, false);
    assert.equal(exchange(connection, 'anything at all'), 'first answer');
    assert.equal(exchange(connection, 'next'), 'second answer');
    // no server turn is left: the dummy sees the close
    assert.equal(connection.drained, true);
    connection.close();
    const [replayed] = eventsOf(containment.events, 'replayed_peer');
    assert.ok(replayed);
    assert.deepEqual(
      { session: replayed.facts.sessionId, client: replayed.facts.capturedClient, turns: replayed.facts.serverTurns, bytes: replayed.facts.bytesToDummy, complete: replayed.facts.complete },
      { session: 4, client: { address: '192.168.3.12', port: 58206 }, turns: 4, bytes: 4 + 5000 + 'first answer'.length + 'second answer'.length, complete: true },
    );
    const [closed] = eventsOf(containment.events, 'tcp_closed');
    assert.equal(closed!.facts.sink, 'replayed-peer');
    assert.equal(closed!.facts.replayedSession, 4);
    assert.equal(closed!.facts.bytesFromDummy, 'anything at all'.length + 'next'.length);
    const connects = eventsOf(containment.events, 'tcp_connect');
    assert.deepEqual(connects.map((event) => event.facts.replayedSession), [4], 'the connect is recorded as always, naming the session');
  });

  it('gives the nth connection to a destination the nth captured session, then the generic sinks', () => {
    const containment = makeContainment({ peers: lookup({ '192.168.3.205:4444': peers() }) });
    containment.connectTcp(handler)!.close();
    const second = containment.connectTcp(handler)!;
    assert.equal(drain(second), 'again');
    second.close();
    const third = containment.connectTcp(handler)!;
    assert.equal(drain(third), '');
    third.send(text('hello'));
    third.close();
    assert.deepEqual(eventsOf(containment.events, 'tcp_closed').map((event) => event.facts.sink), ['replayed-peer', 'replayed-peer', 'raw']);
    const other = containment.connectTcp({ address: '192.168.3.205', port: 4445 })!;
    assert.equal(other.sinkName, null, 'a destination the capture never saw meets the generic sinks');
  });

  it('an HTTP answer from the capture is a download; the request is recorded by the silent HTTP shadow', () => {
    const body = Uint8Array.from([0xca, 0xfe, 0xba, 0xbe, ...randomBytes(300, 3)]);
    const answer = Buffer.concat([text(`HTTP/1.0 200 OK\r\nContent-type: application/java-vm\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
    const peer: CapturedPeer = {
      sessionId: 3,
      capturedClient: { address: '172.16.238.10', port: 50066 },
      turns: [
        { direction: 'to_server', data: text('GET /Exploit.class HTTP/1.1\r\nHost: 172.16.238.11\r\n\r\n') },
        { direction: 'to_client', data: answer },
      ],
    };
    const containment = makeContainment({ peers: lookup({ '172.16.238.11:80': [peer] }) });
    const connection = containment.connectTcp({ address: '172.16.238.11', port: 80 })!;
    assert.equal(drain(connection), '', 'the captured client speaks first: nothing before the request');
    const reply = exchange(connection, 'GET /Exploit.class HTTP/1.1\r\nHost: 172.16.238.11\r\nUser-Agent: Java/1.8.0_181\r\nConnection: close\r\n\r\n');
    assert.equal(reply, answer.toString('latin1'), 'the captured answer, not the sink page');
    connection.close();
    const [request] = eventsOf(containment.events, 'http_request');
    assert.equal(request?.facts.url, '/Exploit.class');
    const [download] = eventsOf(containment.events, 'replayed_http_response');
    assert.deepEqual(
      { status: download?.facts.status, type: download?.facts.contentType, bytes: download?.facts.bodyBytes, session: download?.facts.sessionId },
      { status: 200, type: 'application/java-vm', bytes: body.length, session: 3 },
    );
    const evidence = judge(containment.events.map((event) => ({ source: 'containment' as const, event }))).evidence;
    const item = evidence.find((entry) => entry.kind === 'download');
    assert.equal(item?.url, 'http://172.16.238.11/Exploit.class');
    assert.equal(item?.replayed_session, 3);
    assert.equal(item?.protocol, 'http');
    assert.equal(item?.after_replay, true);
    const connect = evidence.find((entry) => entry.kind === 'connect');
    assert.equal(connect?.replayed_session, 3);
    assert.equal(connect?.after_replay, undefined, 'the connect happens whatever answers it');
  });

  it('an emulated stager reads its stage through the endpoint in one go', () => {
    const containment = makeContainment({ peers: lookup({ '192.168.3.205:4444': peers() }) });
    const endpoint = new ContainmentEndpoint(containment, { whenIdle: 'would_block' });
    const socket = { id: 1, kind: 'tcp' as const };
    assert.equal(endpoint.connect(socket, handler.address, handler.port).kind, 'connected');
    const length = endpoint.receive(socket, 4);
    assert.ok(length.kind === 'data' && Buffer.from(length.bytes).readUInt32LE(0) === 5000);
    const stage = endpoint.receive(socket, 5000);
    assert.ok(stage.kind === 'data' && stage.bytes.length === 5000);
    assert.equal(endpoint.receive(socket, 100).kind, 'would_block', 'the handler waits for the stage to speak');
  });

  it('stops at the replay cap and says so', () => {
    const big = new Uint8Array(MAX_REPLAYED_BYTES);
    const peer: CapturedPeer = {
      sessionId: 1,
      capturedClient: { address: '10.0.0.1', port: 1 },
      turns: [{ direction: 'to_client', data: big }, { direction: 'to_client', data: Uint8Array.of(1) }],
    };
    const containment = makeContainment({ peers: lookup({ '10.0.0.2:4444': [peer] }) });
    const connection = containment.connectTcp({ address: '10.0.0.2', port: 4444 })!;
    assert.equal(connection.pendingOutputBytes, MAX_REPLAYED_BYTES);
    connection.close();
    const [replayed] = eventsOf(containment.events, 'replayed_peer');
    assert.deepEqual(replayed!.anomalies, ['replay_cap_reached']);
    assert.equal(replayed!.facts.complete, false);
    assert.equal(containment.counters.get('containment.replayed-peer.replay_cap_reached'), 1);
  });

  it('replayPeers on an open containment takes effect for later connections', () => {
    const containment = makeContainment();
    containment.connectTcp(handler)!.close();
    containment.replayPeers(lookup({ '192.168.3.205:4444': peers() }));
    assert.equal(containment.connectTcp(handler)!.sinkName, 'replayed-peer');
  });
});
