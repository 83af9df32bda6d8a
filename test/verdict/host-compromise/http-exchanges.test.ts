import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readHttpExchanges } from '../../../src/verdict/host-compromise/http-exchanges.ts';
import { builtSession, httpRequest, httpResponse } from './built-sessions.ts';

test('http exchanges: pipelined requests, 100 Continue, HEAD and a close-delimited body pair up in order', () => {
  const session = builtSession({
    client: '10.0.0.1:40000',
    server: '10.0.0.2:8080',
    start: 0,
    turns: [
      { direction: 'to_server', at: 0, data: httpRequest('POST', 'Site.Example:8080', '/a', {}, 'x=1') + httpRequest('HEAD', 'site.example', '/b') + httpRequest('GET', 'site.example', '/c') },
      {
        direction: 'to_client',
        at: 1,
        data: Buffer.concat([
          Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'),
          httpResponse(200, 'text/plain', 'posted'),
          Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n'),
          Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>till close'),
        ]),
      },
    ],
  });
  const exchanges = readHttpExchanges(session);
  assert.deepEqual(
    exchanges.map((exchange) => [exchange.request.method, exchange.request.host, exchange.request.target, exchange.response?.status, exchange.response?.body.toString()]),
    [
      ['POST', 'site.example', '/a', 200, 'posted'],
      ['HEAD', 'site.example', '/b', 200, ''],
      ['GET', 'site.example', '/c', 200, '<html>till close'],
    ],
  );
});

test('http exchanges: sessions that are not HTTP give nothing', () => {
  const session = builtSession({ client: '10.0.0.1:40000', server: '10.0.0.2:80', start: 0, turns: [{ direction: 'to_server', at: 0, data: '\x16\x03\x01\x00\x05hello' }] });
  assert.deepEqual(readHttpExchanges(session), []);
});
