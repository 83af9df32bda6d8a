import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContainmentEndpoint, type Containment } from '../../src/containment/index.ts';
import { profileShellcode, type EndpointSocket, type ProfileTarget } from '../../src/emulator/index.ts';
import { LINUX_I386_CONNECT_BACK, LINUX_X64_CONNECT_BACK } from '../emulator/linux/handwritten-shellcode.ts';
import { WINDOWS_X64_CONNECT, WINDOWS_X86_CONNECT, WINDOWS_X86_STAGER } from '../emulator/windows/handwritten-shellcode.ts';
import { dnsQuery, eventsOf, makeContainment } from './helpers.ts';

/** Runs attacker code with every network call going to `containment`; returns the trace's connects. */
function detonate(code: Uint8Array, containment: Containment, target: ProfileTarget = { os: 'windows', bits: 32 }): string[] {
  const result = profileShellcode(code, { offsets: [0], targets: [target], endpoint: () => new ContainmentEndpoint(containment) });
  assert.ok(result.trace, 'the code ran');
  return result.trace.events.filter((event) => event.summary.startsWith('connect ')).map((event) => event.summary.slice('connect '.length));
}

describe('an emulated dummy behind the containment', () => {
  it("lands a Windows connect-back's connect in the raw TCP sink as an egress event", () => {
    const containment = makeContainment({ dummyId: 'xp-1', profileId: 'win-xp-sp1' });
    const connects = detonate(WINDOWS_X86_CONNECT, containment);
    assert.deepEqual(connects, ['127.0.0.1:4444']);
    const [connect] = eventsOf(containment.events, 'tcp_connect');
    assert.deepEqual(connect!.destination, { address: '127.0.0.1', port: 4444 });
    assert.equal(connect!.dummyId, 'xp-1');
    assert.equal(connect!.source!.address, '10.13.37.100');
    containment.close();
    const [closed] = eventsOf(containment.events, 'tcp_closed');
    assert.equal(closed!.facts.sink, 'raw');
    assert.equal(closed!.connectionId, connect!.connectionId);
  });

  it('every connect of every hand-made payload lands in the containment (nothing leaves)', () => {
    const payloads: Array<[Uint8Array, ProfileTarget]> = [
      [WINDOWS_X86_CONNECT, { os: 'windows', bits: 32 }],
      [WINDOWS_X64_CONNECT, { os: 'windows', bits: 64 }],
      [LINUX_I386_CONNECT_BACK, { os: 'linux', bits: 32 }],
      [LINUX_X64_CONNECT_BACK, { os: 'linux', bits: 64 }],
      [WINDOWS_X86_STAGER, { os: 'windows', bits: 32 }],
    ];
    for (const [code, target] of payloads) {
      const containment = makeContainment();
      const connects = detonate(code, containment, target);
      assert.ok(connects.length > 0);
      const contained = eventsOf(containment.events, 'tcp_connect').map((event) => `${event.destination.address}:${event.destination.port}`);
      assert.deepEqual(contained, connects);
    }
  });

  it('a stager waiting for its stage finds the raw sink silent and ends', () => {
    const containment = makeContainment();
    const result = profileShellcode(WINDOWS_X86_STAGER, { offsets: [0], endpoint: () => new ContainmentEndpoint(containment) });
    assert.notEqual(result.trace!.endReason, 'blocked');
    const blocking = makeContainment();
    const paused = profileShellcode(WINDOWS_X86_STAGER, { offsets: [0], endpoint: () => new ContainmentEndpoint(blocking, { whenIdle: 'would_block' }) });
    assert.equal(paused.trace!.endReason, 'blocked');
  });

  it('a DNS-exfil lookup lands in the DNS sink, through the resolver and as a packet', () => {
    const containment = makeContainment({ dummyId: 'tomcat-1', profileId: 'linux-tomcat-log4j-2.14' });
    const endpoint = new ContainmentEndpoint(containment);
    const name = 'SECRET_KEY_AKIA1234.x.10.10.10.31.nip.example';
    assert.equal(endpoint.resolve(name), containment.settings.sinkholeIpv4);
    const udp: EndpointSocket = { id: 7, kind: 'udp' };
    assert.equal(endpoint.sendTo(udp, dnsQuery(name), '10.10.10.31', 53), dnsQuery(name).length);
    const reply = endpoint.receive(udp, 512);
    assert.equal(reply.kind, 'data');
    assert.ok(reply.kind === 'data' && reply.fromAddress === '10.10.10.31' && reply.fromPort === 53);
    const queries = eventsOf(containment.events, 'dns_query');
    assert.deepEqual(queries.map((event) => [event.facts.via, event.facts.qname, event.destination.address]), [
      ['resolver', name, containment.settings.sinkholeIpv4],
      ['udp', name, '10.10.10.31'],
    ]);
  });

  it('speaks HTTP, answers a raw ICMP echo and refuses past the cap, through the endpoint', () => {
    const containment = makeContainment({ limits: { maxConnections: 1 } });
    const endpoint = new ContainmentEndpoint(containment);
    const tcp: EndpointSocket = { id: 3, kind: 'tcp' };
    assert.deepEqual(endpoint.connect(tcp, '203.0.113.80', 8081), { kind: 'connected' });
    endpoint.send(tcp, Buffer.from('GET /bot.sh HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'));
    let answer = '';
    for (let result = endpoint.receive(tcp, 4096); result.kind === 'data'; result = endpoint.receive(tcp, 4096)) answer += Buffer.from(result.bytes).toString('latin1');
    assert.match(answer, /^HTTP\/1\.1 200 OK[^]*It works!/);
    assert.equal(endpoint.receive(tcp, 4096).kind, 'closed', 'Connection: close ends it');
    endpoint.close(tcp);
    assert.deepEqual(endpoint.connect({ id: 4, kind: 'tcp' }, '203.0.113.80', 80), { kind: 'refused' });
    const raw: EndpointSocket = { id: 5, kind: 'raw' };
    const echo = Uint8Array.from([8, 0, 0xf7, 0xfe, 0, 1, 0, 0, ...new Array(32).fill(0x61)]);
    endpoint.sendTo(raw, echo, '10.10.10.31', 0);
    const pong = endpoint.receive(raw, 100);
    assert.ok(pong.kind === 'data' && pong.bytes[0] === 0 && pong.bytes[2] === 0xff && pong.bytes[3] === 0xfe);
    assert.equal(eventsOf(containment.events, 'icmp_echo')[0]!.destination.address, '10.10.10.31');
    assert.equal(eventsOf(containment.events, 'http_request')[0]!.facts.url, '/bot.sh');
  });
});
