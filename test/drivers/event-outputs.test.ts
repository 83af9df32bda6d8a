import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildStatsEvent, JsonlFileOutput, type CrashtestEvent } from '../../src/alert/index.ts';
import { Counters } from '../../src/core/index.ts';
import { SyslogOutput, WebhookOutput } from '../../src/drivers/index.ts';

function event(n: number): CrashtestEvent {
  return buildStatsEvent({ time: { seconds: 1_700_000_000 + n, nanoseconds: 0 }, counters: { 'flow.sessions': n } });
}

const RFC5424 = /^<(\d+)>1 \d{4}-\d\d-\d\dT[^ ]+ [^ ]+ crashtest \d+ stats - \uFEFF\{/;

test('jsonl output appends one line per event and reopens the path after rotation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crashtest-jsonl-'));
  const path = join(dir, 'eve.json');
  const output = new JsonlFileOutput(path);
  output.write(event(1));
  renameSync(path, `${path}.1`);
  output.write(event(2)); // still the old file until reopen
  await output.reopen();
  output.write(event(3));
  await output.close();
  assert.equal(readFileSync(`${path}.1`, 'utf8').trim().split('\n').length, 2);
  const fresh = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(fresh.length, 1);
  assert.equal((JSON.parse(fresh[0]!) as { event_type: string }).event_type, 'stats');
});

test('syslog over UDP: one RFC 5424 datagram per event', async () => {
  const server = createSocket('udp4');
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  const received = new Promise<string>((resolve) => server.once('message', (message) => resolve(message.toString('utf8'))));
  const output = new SyslogOutput({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'udp', facility: 16, appName: 'crashtest', queueMessages: 10 });
  output.write(event(1));
  const message = await received;
  await output.close();
  server.close();
  assert.match(message, RFC5424);
  assert.equal(Number(/^<(\d+)>/.exec(message)![1]), 16 * 8 + 6);
});

test('syslog over TCP uses octet counting and sends what was queued before the connection', async () => {
  let data = Buffer.alloc(0);
  const done = new Promise<void>((resolve) => {
    const server = createServer((socket) => {
      socket.on('data', (chunk) => (data = Buffer.concat([data, chunk])));
      socket.on('end', () => {
        server.close();
        resolve();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const counters = new Counters();
      const output = new SyslogOutput({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'tcp', facility: 16, appName: 'crashtest', queueMessages: 10, counters });
      for (let n = 0; n < 3; n++) output.write(event(n));
      setTimeout(() => void output.close(), 200);
    });
  });
  await done;
  const messages: string[] = [];
  for (let offset = 0; offset < data.length; ) {
    const space = data.indexOf(0x20, offset);
    const length = Number(data.subarray(offset, space).toString('ascii'));
    messages.push(data.subarray(space + 1, space + 1 + length).toString('utf8'));
    offset = space + 1 + length;
  }
  assert.equal(messages.length, 3);
  for (const message of messages) assert.match(message, RFC5424);
});

test('webhook output posts each event as JSON signed with HMAC-SHA256 over timestamp.body', async () => {
  const bodies: Array<{ body: string; signature: string; timestamp: string }> = [];
  const server = createHttpServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      bodies.push({ body, signature: String(request.headers['x-crashtest-signature']), timestamp: String(request.headers['x-crashtest-timestamp']) });
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const counters = new Counters();
  const output = new WebhookOutput({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, secret: 'k3y', timeoutMs: 2_000, eventTypes: ['stats'], queueEvents: 10, counters });
  output.write(event(1));
  output.write(event(2));
  await output.close();
  server.close();
  assert.equal(bodies.length, 2);
  for (const { body, signature, timestamp } of bodies) {
    assert.equal(signature, `sha256=${createHmac('sha256', 'k3y').update(`${timestamp}.${body}`).digest('hex')}`);
    assert.equal((JSON.parse(body) as { event_type: string }).event_type, 'stats');
  }
  assert.equal(counters.get('outputs.webhook.sent'), 2);
});
