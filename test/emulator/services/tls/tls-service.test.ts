import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { ciphertextBytes, SUPPORTED_SUITES } from '../../../../src/emulator/services/tls/cipher-suites.ts';
import { minimumEncryptedHeartbeatBytes } from '../../../../src/emulator/services/tls/heartbeat.ts';
import { tlsService } from '../../../../src/emulator/services/tls/tls-service.ts';
import { skipWithoutCorpus } from '../../../helpers/corpus.ts';
import { clientTurns, corpusSessions } from '../../../helpers/corpus-sessions.ts';
import { seededRandom } from '../../../helpers/random.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';

const VULNERABLE = 'linux-openssl-1.0.1f';
const PATCHED = 'linux-openssl-1.0.1g';
const peer = { address: '192.0.2.9', port: 40_000 };

function record(type: number, fragment: Uint8Array, version = 0x0303): Buffer {
  const header = Buffer.from([type, version >> 8, version & 0xff, fragment.length >> 8, fragment.length & 0xff]);
  return Buffer.concat([header, fragment]);
}

function handshake(type: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
}

function clientHello(options: { version?: number; suites?: number[]; heartbeat?: boolean } = {}): Buffer {
  const version = options.version ?? 0x0303;
  const suites = options.suites ?? [0xc02f, 0x002f, 0x0035, 0x000a];
  const extensions = options.heartbeat === false ? Buffer.alloc(0) : Buffer.from([0x00, 0x0f, 0x00, 0x01, 0x01]);
  const suiteBytes = Buffer.alloc(suites.length * 2);
  suites.forEach((suite, index) => suiteBytes.writeUInt16BE(suite, index * 2));
  const body = Buffer.concat([
    Buffer.from([version >> 8, version & 0xff]),
    Buffer.alloc(32, 7),
    Buffer.from([0]),
    Buffer.from([suiteBytes.length >> 8, suiteBytes.length & 0xff]),
    suiteBytes,
    Buffer.from([1, 0]),
    Buffer.from([extensions.length >> 8, extensions.length & 0xff]),
    extensions,
  ]);
  return record(22, handshake(1, body), 0x0301);
}

function heartbeatRequest(declared: number, carried: number): Buffer {
  const fragment = Buffer.alloc(3 + carried, 0x5a);
  fragment[0] = 1;
  fragment.writeUInt16BE(declared, 1);
  return record(24, fragment);
}

interface ParsedRecord {
  type: number;
  fragment: Buffer;
}

function records(bytes: Uint8Array): ParsedRecord[] {
  const buffer = Buffer.from(bytes);
  const parsed: ParsedRecord[] = [];
  for (let offset = 0; offset + 5 <= buffer.length; ) {
    const length = buffer.readUInt16BE(offset + 3);
    parsed.push({ type: buffer[offset]!, fragment: buffer.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return parsed;
}

function connect(profile: string): { host: TestServiceHost; connection: ReturnType<ReturnType<typeof tlsService>['open']> } {
  const host = new TestServiceHost(profile);
  return { host, connection: tlsService().open(host, peer, 443) };
}

describe('TLS service', () => {
  it('answers a TLS 1.2 ClientHello with ServerHello, a self-signed Certificate and ServerHelloDone', () => {
    const { host, connection } = connect(VULNERABLE);
    const flight = records(connection.receive(clientHello()));
    assert.deepEqual(flight.map((entry) => [entry.type, entry.fragment[0]]), [[22, 2], [22, 11], [22, 14]]);
    const serverHello = flight[0]!.fragment;
    assert.equal(serverHello.readUInt16BE(4), 0x0303);
    assert.equal(serverHello.readUInt16BE(4 + 2 + 32 + 1 + 32), 0x002f, 'the first offered RSA suite');
    assert.ok(serverHello.subarray(4 + 2 + 32 + 1 + 32 + 3).includes(Buffer.from([0x00, 0x0f, 0x00, 0x01, 0x01])), 'heartbeat extension echoed');
    const certificate = new X509Certificate(flight[1]!.fragment.subarray(4 + 6));
    assert.equal(certificate.subject, `CN=${host.hostname.toLowerCase()}`);
    assert.equal(connection.closed, false);
    assert.deepEqual(host.anomalies, []);
  });

  it('buffers records that arrive a byte at a time', () => {
    const { connection } = connect(VULNERABLE);
    const hello = clientHello();
    const pieces: Uint8Array[] = [];
    for (const byte of hello) pieces.push(connection.receive(Uint8Array.of(byte)));
    assert.deepEqual(records(Buffer.concat(pieces)).map((entry) => entry.fragment[0]), [2, 11, 14]);
  });

  it('an SSLv3 hello gets an SSLv3 answer without extensions; an SSLv2-compatible hello is answered too', () => {
    const { connection } = connect(VULNERABLE);
    const [serverHello] = records(connection.receive(clientHello({ version: 0x0300, heartbeat: false })));
    assert.equal(serverHello!.fragment.readUInt16BE(4), 0x0300);
    assert.equal(serverHello!.fragment.length, 4 + 2 + 32 + 1 + 32 + 3);
    const sslv2 = Buffer.concat([Buffer.from([1, 0x03, 0x01, 0, 6, 0, 0, 0, 16]), Buffer.from([0, 0, 0x2f, 0x01, 0x00, 0x80]), Buffer.alloc(16, 3)]);
    const second = connect(VULNERABLE).connection;
    const answer = records(second.receive(Buffer.concat([Buffer.from([0x80 | (sslv2.length >> 8), sslv2.length & 0xff]), sslv2])));
    assert.deepEqual(answer.map((entry) => entry.fragment[0]), [2, 11, 14]);
  });

  it('a hello with no suite it knows gets handshake_failure; garbage gets an alert; plain HTTP gets Apache\'s 400', () => {
    const noSuite = connect(VULNERABLE);
    assert.deepEqual(records(noSuite.connection.receive(clientHello({ suites: [0xc02f] })))[0], { type: 21, fragment: Buffer.from([2, 40]) });
    assert.ok(noSuite.connection.closed && noSuite.host.anomalies.includes('tls.no_shared_cipher'));
    const garbage = connect(VULNERABLE);
    assert.equal(records(garbage.connection.receive(Buffer.from('\x00\x01\x02\x03\x04\x05')))[0]?.type, 21);
    assert.ok(garbage.connection.closed && garbage.host.anomalies.includes('tls.record_type_unknown'));
    const http = connect(VULNERABLE);
    assert.match(Buffer.from(http.connection.receive(Buffer.from('GET / HTTP/1.0\r\n\r\n'))).toString('latin1'), /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.ok(http.connection.closed && http.host.anomalies.includes('tls.plain_http'));
  });

  it('a well-formed heartbeat is echoed and reported nowhere', () => {
    const { host, connection } = connect(PATCHED);
    const [response] = records(connection.receive(heartbeatRequest(5, 5 + 16)));
    assert.equal(response?.type, 24);
    assert.equal(response!.fragment[0], 2);
    assert.equal(response!.fragment.readUInt16BE(1), 5);
    assert.equal(response!.fragment.length, 3 + 5 + 16);
    assert.deepEqual(host.exploits, []);
  });

  it('CVE-2014-0160 before the handshake: the vulnerable profile returns the declared length, the patched one discards', () => {
    for (const [profile, vulnerable] of [[VULNERABLE, true], [PATCHED, false]] as const) {
      const { host, connection } = connect(profile);
      const answer = records(connection.receive(heartbeatRequest(0x4000, 0)));
      assert.equal(host.exploits.length, 1);
      assert.equal(host.exploits[0]!.vulnerability, 'CVE-2014-0160');
      assert.equal(host.exploits[0]!.vulnerable, vulnerable);
      assert.equal(host.codeRuns.length, 0);
      if (!vulnerable) {
        assert.deepEqual(answer, []);
        continue;
      }
      // 3 + 16,384 + 16 bytes do not fit one record: OpenSSL writes them as two
      assert.deepEqual(answer.map((entry) => [entry.type, entry.fragment.length]), [[24, 16_384], [24, 19]]);
      assert.equal(answer[0]!.fragment.readUInt16BE(1), 0x4000);
      assert.ok(answer[0]!.fragment.subarray(3).some((byte) => byte !== 0), 'plausible memory, not zeros');
    }
  });

  it('CVE-2014-0160 bound: payload plus 16 bytes of padding fits exactly → no report; one byte short → report', () => {
    const fits = connect(PATCHED);
    fits.connection.receive(heartbeatRequest(100, 116));
    assert.deepEqual(fits.host.exploits, []);
    const short = connect(PATCHED);
    short.connection.receive(heartbeatRequest(100, 115));
    assert.equal(short.host.exploits.length, 1);
  });

  it('CVE-2014-0160 after the handshake: an encrypted heartbeat too short for its own padding is the attack', () => {
    const suite = SUPPORTED_SUITES.find((candidate) => candidate.id === 0x002f)!;
    const minimum = minimumEncryptedHeartbeatBytes(suite, 0x0303);
    // AES-CBC with SHA-1 in TLS 1.2: 16-byte IV + (19 + 20 + 1 rounded up to 48)
    assert.equal(minimum, 64);
    for (const [length, attack] of [[minimum, false], [minimum - 16, true], [ciphertextBytes(suite, 0x0303, 3), true]] as const) {
      const { host, connection } = connect(VULNERABLE);
      connection.receive(clientHello());
      const keyExchange = record(22, handshake(16, Buffer.concat([Buffer.from([0, 128]), Buffer.alloc(128, 9)])));
      assert.equal(connection.receive(Buffer.concat([keyExchange, record(20, Buffer.from([1]))])).length, 0);
      const finished = records(connection.receive(record(22, Buffer.alloc(64, 0x33))));
      assert.deepEqual(finished.map((entry) => entry.type), [20, 22]);
      const answer = records(connection.receive(record(24, Buffer.alloc(length, 0x44))));
      assert.equal(host.exploits.length, attack ? 1 : 0, `${length} bytes`);
      if (attack) assert.ok(answer.length > 0 && answer.every((entry) => entry.type === 24));
      assert.equal(host.codeRuns.length, 0);
    }
  });

  it('truncated and mutated input never throws and is counted', () => {
    const stream = Buffer.concat([clientHello(), heartbeatRequest(0x4000, 0)]);
    const random = seededRandom(443);
    let anomalies = 0;
    for (let round = 0; round < 1_500; round += 1) {
      const mutated = Buffer.from(stream.subarray(0, Math.floor(random() * stream.length) + 1));
      const flips = Math.floor(random() * 6);
      for (let flip = 0; flip < flips; flip += 1) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      const { host, connection } = connect(round % 2 === 0 ? VULNERABLE : PATCHED);
      for (let offset = 0; offset < mutated.length; offset += 1 + Math.floor(random() * 100)) connection.receive(mutated.subarray(offset, offset + 1 + Math.floor(random() * 100)));
      connection.end();
      anomalies += host.anomalies.length;
      assert.ok(host.anomalies.every((name) => /^tls\.[a-z0-9_]+$/.test(name)), host.anomalies.join());
      assert.equal(host.codeRuns.length, 0);
    }
    assert.ok(anomalies > 100, `${anomalies} anomalies`);
  });

  describe('corpus', { skip: skipWithoutCorpus() }, () => {
    it('cve-2014-0160-heartbleed-attempt: exploited on OpenSSL 1.0.1f, attempted on 1.0.1g, never code', async () => {
      const [session] = await corpusSessions('cve-2014-0160-heartbleed-attempt.pcap');
      assert.ok(session);
      for (const [profile, vulnerable] of [[VULNERABLE, true], [PATCHED, false]] as const) {
        const { host, connection } = connect(profile);
        const answers = clientTurns(session).map((turn) => records(connection.receive(turn)));
        assert.deepEqual(answers[0]!.map((entry) => entry.fragment[0]), [2, 11, 14]);
        assert.equal(host.exploits.length, 1);
        assert.equal(host.exploits[0]!.vulnerability, 'CVE-2014-0160');
        assert.equal(host.exploits[0]!.vulnerable, vulnerable);
        assert.equal(host.codeRuns.length, 0);
        const heartbeats = answers.flat().filter((entry) => entry.type === 24);
        assert.equal(heartbeats.length > 0, vulnerable);
      }
    });

    it('nmap version-scan probes to 443 never throw', async () => {
      for (const session of await corpusSessions('nmap-version-scan.pcap')) {
        const { host, connection } = connect(VULNERABLE);
        for (const turn of clientTurns(session)) connection.receive(turn);
        assert.equal(host.codeRuns.length, 0);
      }
    });
  });
});
