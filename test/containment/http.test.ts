import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { drain, eventsOf, exchange, makeContainment, randomBytes } from './helpers.ts';

describe('HTTP sink', () => {
  it('answers 200 with a small page and records method, host, URL and user agent', () => {
    const containment = makeContainment();
    const connection = containment.connectTcp({ address: '203.0.113.5', port: 80 })!;
    const reply = exchange(connection, 'GET /payload.exe HTTP/1.1\r\nHost: dl.example\r\nUser-Agent: Wget/1.12\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(reply, /It works!/);
    const [event] = eventsOf(containment.events, 'http_request');
    assert.deepEqual(
      { method: event!.facts.method, host: event!.facts.host, url: event!.facts.url, userAgent: event!.facts.userAgent, bodyBytes: event!.facts.bodyBytes },
      { method: 'GET', host: 'dl.example', url: '/payload.exe', userAgent: 'Wget/1.12', bodyBytes: 0 },
    );
    assert.equal(event!.protocol, 'http');
    assert.deepEqual(event!.destination, { address: '203.0.113.5', port: 80 });
  });

  it('parses pipelined requests with a Content-Length body and a chunked body', () => {
    const containment = makeContainment();
    const connection = containment.connectTcp({ address: '203.0.113.5', port: 8080 })!;
    const body = 'user=admin&pass=admin';
    const pipelined =
      `POST /login HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
      'GET /second HTTP/1.1\r\nHost: b\r\n\r\n' +
      'PUT /up HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n';
    const reply = exchange(connection, pipelined);
    assert.equal(reply.match(/HTTP\/1\.1 200 OK/g)!.length, 3);
    const requests = eventsOf(containment.events, 'http_request').map((event) => event.facts);
    assert.deepEqual(requests.map((request) => [request.method, request.url, request.bodyBytes]), [
      ['POST', '/login', body.length],
      ['GET', '/second', 0],
      ['PUT', '/up', 11],
    ]);
    assert.equal(requests[0]!.bodySha256, createHash('sha256').update(body).digest('hex'));
    assert.equal(requests[2]!.bodySha256, createHash('sha256').update('hello world').digest('hex'));
  });

  it('gets the same answers when the request arrives one byte at a time', () => {
    const containment = makeContainment();
    const connection = containment.connectTcp({ address: '198.51.100.1', port: 4444 })!;
    const request = Buffer.from('GET /a HTTP/1.0\r\nHost: x\r\n\r\n', 'latin1');
    let reply = '';
    for (const byte of request) reply += exchange(connection, Uint8Array.of(byte));
    assert.match(reply, /^HTTP\/1\.0 200 OK/);
    assert.ok(connection.drained, 'HTTP/1.0 without keep-alive closes after the answer');
    connection.close();
    const closed = eventsOf(containment.events, 'tcp_closed')[0]!;
    assert.equal(closed.facts.sink, 'http', 'HTTP on port 4444 still meets the HTTP sink');
    assert.equal(closed.facts.closedBy, 'sink');
  });

  it('serves a configured canned payload and omits it for HEAD', () => {
    const containment = makeContainment({ download: { body: 'MZ\x90\x00stub', contentType: 'application/x-msdownload' } });
    const connection = containment.connectTcp({ address: '203.0.113.9', port: 80 })!;
    const reply = exchange(connection, 'GET /x.exe HTTP/1.1\r\nHost: h\r\n\r\nHEAD /x.exe HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.match(reply, /Content-Type: application\/x-msdownload/);
    assert.equal(reply.split('MZ').length - 1, 1, 'the body once, for GET only');
  });

  it('answers garbage and broken framing with 400 and named anomalies', () => {
    const containment = makeContainment();
    const bad = containment.connectTcp({ address: '203.0.113.9', port: 80 })!;
    assert.match(exchange(bad, 'GET\x00\x01 nonsense\r\n\r\n'), /^HTTP\/1\.1 400/);
    assert.ok(bad.drained);
    const chunked = containment.connectTcp({ address: '203.0.113.9', port: 80 })!;
    exchange(chunked, 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nzz\r\n');
    const long = containment.connectTcp({ address: '203.0.113.9', port: 80 })!;
    exchange(long, `GET /${'A'.repeat(20_000)}`);
    const unfinished = containment.connectTcp({ address: '203.0.113.9', port: 80 })!;
    exchange(unfinished, 'POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc');
    unfinished.close();
    const counters = containment.counters.snapshot('containment.http');
    assert.equal(counters['containment.http.http_request_line_invalid'], 1);
    assert.equal(counters['containment.http.http_length_and_chunked'], 1);
    assert.equal(counters['containment.http.http_chunk_size_invalid'], 1);
    assert.equal(counters['containment.http.http_headers_too_long'], 1);
    assert.equal(counters['containment.http.http_request_incomplete'], 1);
    const partial = eventsOf(containment.events, 'http_request').at(-1)!;
    assert.equal(partial.facts.bodyBytes, 3);
    assert.deepEqual(partial.anomalies, ['http_request_incomplete']);
  });

  it('survives random bytes after a valid request line', () => {
    const containment = makeContainment({ limits: { maxConnections: 1_000, maxEvents: 100_000 } });
    for (let seed = 1; seed <= 500; seed++) {
      const connection = containment.connectTcp({ address: '203.0.113.9', port: 80 })!;
      connection.send(Buffer.from('GET / HTTP/1.1\r\n', 'latin1'));
      connection.send(randomBytes(200 + seed, seed));
      drain(connection);
      connection.close();
    }
    assert.equal(containment.openConnections, 0);
  });
});
