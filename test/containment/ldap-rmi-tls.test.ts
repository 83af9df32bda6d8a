import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drain, eventsOf, exchange, makeContainment, randomBytes } from './helpers.ts';

function tlv(tag: number, ...parts: Array<number[] | Uint8Array>): number[] {
  const value = parts.flatMap((part) => [...part]);
  const length = value.length < 0x80 ? [value.length] : [0x82, value.length >> 8, value.length & 0xff];
  return [tag, ...length, ...value];
}
const text = (value: string): number[] => [...Buffer.from(value, 'latin1')];

/** What a JNDI lookup of ldap://host:1389/<dn> sends: an anonymous simple bind, then a base search. */
function jndiMessages(dn: string): Uint8Array {
  const bind = tlv(0x30, tlv(0x02, [1]), tlv(0x60, tlv(0x02, [3]), tlv(0x04, []), tlv(0x80, [])));
  const search = tlv(0x30, tlv(0x02, [2]), tlv(0x63,
    tlv(0x04, text(dn)), tlv(0x0a, [0]), tlv(0x0a, [3]), tlv(0x02, [0]), tlv(0x02, [0]), tlv(0x01, [0]),
    tlv(0x87, text('objectClass')), tlv(0x30)));
  return Uint8Array.from([...bind, ...search]);
}

/** A TLS 1.2 ClientHello record with an SNI and ALPN, built by hand. */
function clientHello(serverName: string): Uint8Array {
  const name = text(serverName);
  const sni = [0, 0, ...u16(name.length + 5), ...u16(name.length + 3), 0, ...u16(name.length), ...name];
  const alpnList = [2, ...text('h2'), 8, ...text('http/1.1')];
  const alpn = [0, 16, ...u16(alpnList.length + 2), ...u16(alpnList.length), ...alpnList];
  const extensions = [...sni, ...alpn];
  const body = [3, 3, ...new Array(32).fill(7), 0, 0, 4, 0x13, 0x01, 0xc0, 0x2f, 1, 0, ...u16(extensions.length), ...extensions];
  const handshake = [1, 0, ...u16(body.length), ...body];
  return Uint8Array.from([0x16, 3, 1, ...u16(handshake.length), ...handshake]);
}
function u16(value: number): number[] {
  return [value >> 8, value & 0xff];
}

describe('LDAP sink', () => {
  it('records the bind and the DN a JNDI lookup asks for, and answers with an empty result', () => {
    const containment = makeContainment();
    const connection = containment.connectTcp({ address: '172.16.238.11', port: 1389 })!;
    const reply = Buffer.from(exchange(connection, jndiMessages('Exploit')), 'latin1');
    assert.equal(reply[0], 0x30);
    assert.ok(reply.includes(Buffer.from([0x61])), 'a bind response');
    assert.ok(reply.includes(Buffer.from([0x65, 0x07, 0x0a, 0x01, 0x00])), 'searchResDone success');
    const [bind] = eventsOf(containment.events, 'ldap_bind');
    assert.deepEqual(bind!.facts, { kind: 'ldap_bind', version: 3, name: '', authentication: 'simple' });
    const [search] = eventsOf(containment.events, 'ldap_search');
    assert.equal(search!.facts.baseDn, 'Exploit');
    assert.equal(search!.facts.answeredWith, 'empty');
    assert.deepEqual(search!.destination, { address: '172.16.238.11', port: 1389 });
  });

  it('is found by its bytes on any port, and can answer with a javaNamingReference', () => {
    const containment = makeContainment({ ldapAnswer: 'reference' });
    const connection = containment.connectTcp({ address: '203.0.113.4', port: 4444 })!;
    const reply = exchange(connection, jndiMessages('a'));
    assert.match(reply, /javaCodeBase/);
    assert.match(reply, /http:\/\/203\.0\.113\.4:80\//);
    connection.close();
    assert.equal(eventsOf(containment.events, 'tcp_closed')[0]!.facts.sink, 'ldap');
  });

  it('stops on hostile messages with named anomalies', () => {
    const containment = makeContainment({ limits: { maxConnections: 2_000 } });
    const cases: Array<[number[], string]> = [
      [[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02], 'ldap_message_too_long'],
      [[0x30, 0x85, 1, 1, 1, 1, 1], 'ldap_ber_length_unsupported'],
      [tlv(0x30, tlv(0x02, [1]), tlv(0x63, tlv(0x04, text('x')))), 'ldap_search_malformed'],
      [tlv(0x30, tlv(0x02, [1]), [0x60, 0x05, 0x02]), 'ldap_ber_truncated'],
    ];
    for (const [bytes, anomaly] of cases) {
      const connection = containment.connectTcp({ address: '203.0.113.4', port: 389 })!;
      connection.send(Uint8Array.from(bytes));
      drain(connection);
      connection.close();
      assert.ok(containment.counters.get(`containment.ldap.${anomaly}`) >= 1, anomaly);
    }
    for (let seed = 1; seed <= 1_000; seed++) {
      const connection = containment.connectTcp({ address: '203.0.113.4', port: 389 })!;
      connection.send(Uint8Array.from([0x30, ...randomBytes(30 + (seed % 50), seed)]));
      drain(connection);
      connection.close();
    }
  });
});

describe('RMI sink', () => {
  it('acknowledges the JRMP handshake and records the name a registry lookup asks for', () => {
    const containment = makeContainment();
    const connection = containment.connectTcp({ address: '203.0.113.8', port: 1099 })!;
    const ack = Buffer.from(exchange(connection, Uint8Array.from([...text('JRMI'), 0, 2, 0x4b])), 'latin1');
    assert.equal(ack[0], 0x4e);
    connection.send(Uint8Array.from([0, 9, ...text('127.0.0.1'), 0, 0, 0, 0]));
    const call = [0x50, 0xac, 0xed, 0, 5, 0x77, 0x22, ...new Array(34).fill(0), 0x74, 0, 7, ...text('Exploit')];
    connection.send(Uint8Array.from(call));
    assert.ok(connection.drained);
    connection.close();
    const [handshake] = eventsOf(containment.events, 'rmi_handshake');
    assert.deepEqual(handshake!.facts, { kind: 'rmi_handshake', version: 2, protocol: 'stream' });
    const [lookup] = eventsOf(containment.events, 'rmi_call');
    assert.deepEqual(lookup!.facts.strings, ['Exploit']);
  });

  it('names a bad magic on the RMI port', () => {
    const containment = makeContainment();
    const connection = containment.connectTcp({ address: '203.0.113.8', port: 1099 })!;
    connection.send(Buffer.from('NOTJRMI!'));
    assert.ok(connection.drained);
    assert.equal(containment.counters.get('containment.rmi.rmi_magic_invalid'), 1);
  });
});

describe('TLS sink', () => {
  it('records the ClientHello SNI and ALPN, then refuses the handshake', () => {
    const containment = makeContainment();
    const connection = containment.connectTcp({ address: '172.17.0.1', port: 443 })!;
    const hello = clientHello('ldaps.suspect.network');
    connection.send(hello.subarray(0, 20));
    assert.equal(connection.read(100), null);
    const reply = Buffer.from(exchange(connection, hello.subarray(20)), 'latin1');
    assert.deepEqual([...reply], [0x15, 3, 1, 0, 2, 2, 0x28]);
    assert.ok(connection.drained);
    const [event] = eventsOf(containment.events, 'tls_client_hello');
    assert.equal(event!.facts.sni, 'ldaps.suspect.network');
    assert.deepEqual(event!.facts.alpn, ['h2', 'http/1.1']);
    assert.equal(event!.facts.clientVersion, 0x0303);
    assert.equal(event!.facts.cipherSuites, 2);
  });

  it('survives truncated and random hellos', () => {
    const containment = makeContainment({ limits: { maxConnections: 5_000, maxEvents: 50_000 } });
    const hello = clientHello('x.example');
    for (let cut = 0; cut < hello.length; cut++) {
      const connection = containment.connectTcp({ address: '172.17.0.1', port: 443 })!;
      const bytes = hello.slice();
      if (cut > 5) bytes[cut] = 0xff; // a length that lies
      connection.send(bytes);
      connection.close();
    }
    for (let seed = 1; seed <= 1_000; seed++) {
      const connection = containment.connectTcp({ address: '172.17.0.1', port: 443 })!;
      connection.send(Uint8Array.from([0x16, 3, 1, 0, 60, 1, 0, 0, 56, ...randomBytes(56, seed)]));
      connection.close();
    }
    assert.ok(eventsOf(containment.events, 'tls_client_hello').length > 0);
  });
});
