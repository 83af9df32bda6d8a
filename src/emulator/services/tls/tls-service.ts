/**
 * A TLS server as Apache with mod_ssl on OpenSSL 1.0.1 shows itself on 443: enough of the
 * handshake for a client to send what it came to send, and OpenSSL's heartbeat handling, which is
 * where Heartbleed (CVE-2014-0160) lives. Keys are never agreed: after the client's
 * ChangeCipherSpec its records are opaque and are judged by their lengths alone.
 * Heartbleed reads memory; it never runs anything, so nothing here ever calls runCode.
 */
import { randomBytes } from 'node:crypto';
import type { PeerAddress, ServiceConnection, ServiceHost, StreamService } from '../service.ts';
import { chooseCipherSuite, ciphertextBytes, type CipherSuite } from './cipher-suites.ts';
import { parseClientHello, parseSslv2ClientHello, type ClientHello, type ClientHelloResult } from './client-hello.ts';
import { bytesReadBeyondRecord, inspectHeartbeat, MIN_PADDING_BYTES, minimumEncryptedHeartbeatBytes, opaqueVulnerableResponse, vulnerableResponse } from './heartbeat.ts';
import { HandshakeType, serverFlight } from './server-flight.ts';
import { AlertDescription, fatalAlert } from './tls-alert.ts';
import { concatBytes, ContentType, encodeRecord, TlsRecordReader, type TlsRecord } from './tls-record-reader.ts';

const SSL3 = 0x0300;
const TLS12 = 0x0303;
/** no ClientHello of the period comes near this; a longer handshake message is hostile */
const MAX_HANDSHAKE_MESSAGE_BYTES = 65_536;
const FINISHED_PLAINTEXT_BYTES = 16;
const HTTP_METHOD = /^[A-Z]{3,7} /;

type Phase = 'hello' | 'key_exchange' | 'encrypted' | 'closed';

export function tlsService(): StreamService {
  return {
    kind: 'stream',
    name: 'https',
    open: (host: ServiceHost, _peer: PeerAddress, _localPort: number) => new TlsConnection(host),
  };
}

class TlsConnection implements ServiceConnection {
  private phase: Phase = 'hello';
  /** bytes before the first record, until they show whether this is TLS, SSLv2 or plain HTTP */
  private opening: Uint8Array | null = new Uint8Array(0);
  private readonly records = new TlsRecordReader();
  private handshakeBytes: Uint8Array = new Uint8Array(0);
  private version = TLS12;
  private suite: CipherSuite | null = null;
  private output: Uint8Array[] = [];

  constructor(private readonly host: ServiceHost) {}

  get closed(): boolean {
    return this.phase === 'closed';
  }

  greeting(): Uint8Array {
    return new Uint8Array(0);
  }

  receive(bytes: Uint8Array): Uint8Array {
    if (this.closed) return new Uint8Array(0);
    const framed = this.opening ? this.sniff(bytes) : bytes;
    if (framed.length > 0 && !this.closed) {
      for (const record of this.records.push(framed)) {
        if (this.closed) break;
        this.handleRecord(record);
      }
      if (this.records.problem && !this.closed) this.fail(this.records.problem, this.records.problem === 'record_too_long' ? AlertDescription.recordOverflow : AlertDescription.unexpectedMessage);
    }
    const answer = concatBytes(...this.output);
    this.output = [];
    return answer;
  }

  end(): void {
    this.phase = 'closed';
  }

  /** tells the three openings apart; returns the bytes the record layer should read */
  private sniff(bytes: Uint8Array): Uint8Array {
    const opening = concatBytes(this.opening!, bytes);
    if (opening.length < 3) {
      this.opening = opening;
      return new Uint8Array(0);
    }
    if (opening[0]! >= ContentType.changeCipherSpec && opening[0]! <= ContentType.heartbeat) {
      this.opening = null;
      return opening;
    }
    if ((opening[0]! & 0x80) !== 0 && opening[2] === HandshakeType.clientHello) return this.sslv2Hello(opening);
    this.opening = null;
    if (HTTP_METHOD.test(new TextDecoder('latin1').decode(opening.subarray(0, 8)))) {
      this.host.anomaly('tls.plain_http');
      this.output.push(plainHttpAnswer(this.host));
      this.phase = 'closed';
    } else {
      this.fail('record_type_unknown', AlertDescription.unexpectedMessage);
    }
    return new Uint8Array(0);
  }

  private sslv2Hello(opening: Uint8Array): Uint8Array {
    const length = ((opening[0]! & 0x7f) << 8) | opening[1]!;
    if (opening.length < 2 + length) {
      this.opening = opening;
      return new Uint8Array(0);
    }
    this.opening = null;
    this.clientHello(parseSslv2ClientHello(opening.subarray(2, 2 + length)));
    return opening.subarray(2 + length);
  }

  private handleRecord(record: TlsRecord): void {
    switch (record.type) {
      case ContentType.handshake:
        return this.phase === 'encrypted' ? this.encryptedFinished() : this.handshake(record.fragment);
      case ContentType.changeCipherSpec:
        return this.changeCipherSpec(record.fragment);
      case ContentType.alert:
        // a client's alert ends the connection; encrypted ones cannot be read but do the same
        if (this.phase === 'encrypted' || record.fragment[0] === 2 || record.fragment[1] === 0) this.phase = 'closed';
        return;
      case ContentType.applicationData:
        if (this.phase !== 'encrypted') this.fail('application_data_before_handshake', AlertDescription.unexpectedMessage);
        return;
      case ContentType.heartbeat:
        return this.phase === 'encrypted' ? this.encryptedHeartbeat(record) : this.plaintextHeartbeat(record);
    }
  }

  private handshake(fragment: Uint8Array): void {
    this.handshakeBytes = concatBytes(this.handshakeBytes, fragment);
    while (this.handshakeBytes.length >= 4 && this.phase !== 'closed') {
      const type = this.handshakeBytes[0]!;
      const length = (this.handshakeBytes[1]! << 16) | (this.handshakeBytes[2]! << 8) | this.handshakeBytes[3]!;
      if (length > MAX_HANDSHAKE_MESSAGE_BYTES) return this.fail('handshake_message_too_long', AlertDescription.illegalParameter);
      if (this.handshakeBytes.length < 4 + length) return;
      const body = this.handshakeBytes.subarray(4, 4 + length);
      this.handshakeBytes = this.handshakeBytes.slice(4 + length);
      this.handshakeMessage(type, body);
    }
  }

  private handshakeMessage(type: number, body: Uint8Array): void {
    if (type === HandshakeType.clientHello && this.phase === 'hello') return this.clientHello(parseClientHello(body));
    const expected = [HandshakeType.clientKeyExchange, HandshakeType.certificate, HandshakeType.certificateVerify] as number[];
    if (this.phase === 'key_exchange' && expected.includes(type)) return;
    this.fail('handshake_unexpected', AlertDescription.unexpectedMessage);
  }

  private clientHello(result: ClientHelloResult): void {
    if ('problem' in result) return this.fail(result.problem, AlertDescription.decodeError);
    const hello: ClientHello = result.hello;
    if (hello.version < SSL3 || hello.version >> 8 !== 3) return this.fail('client_version_unsupported', AlertDescription.protocolVersion);
    this.version = Math.min(hello.version, TLS12);
    this.suite = chooseCipherSuite(hello.cipherSuites, this.version);
    if (!this.suite) return this.fail('no_shared_cipher', AlertDescription.handshakeFailure);
    this.output.push(serverFlight(hello, this.version, this.suite, this.host.hostname));
    this.phase = 'key_exchange';
  }

  private changeCipherSpec(fragment: Uint8Array): void {
    if (this.phase !== 'key_exchange' || fragment.length !== 1 || fragment[0] !== 1) return this.fail('change_cipher_spec_unexpected', AlertDescription.unexpectedMessage);
    this.phase = 'encrypted';
  }

  /**
   * The client's encrypted Finished: the server's own ChangeCipherSpec and Finished follow. The
   * keys were never agreed, so the Finished is opaque bytes of the right length; a real client
   * stops there with a MAC error, a tool that only wants to reach the encrypted phase goes on.
   */
  private encryptedFinished(): void {
    this.output.push(
      encodeRecord(ContentType.changeCipherSpec, this.version, Uint8Array.of(1)),
      encodeRecord(ContentType.handshake, this.version, randomBytes(ciphertextBytes(this.suite!, this.version, FINISHED_PLAINTEXT_BYTES))),
    );
  }

  private plaintextHeartbeat(record: TlsRecord): void {
    const heartbeat = inspectHeartbeat(record.fragment);
    if (heartbeat.kind === 'response') return;
    if (heartbeat.kind === 'type_unknown') return this.host.anomaly('tls.heartbeat_type_unknown');
    if (heartbeat.kind === 'truncated') {
      this.host.anomaly('tls.heartbeat_truncated');
      this.host.reportExploit({
        vulnerability: 'CVE-2014-0160',
        service: 'tls',
        detail: `heartbeat request record of ${heartbeat.recordBytes} bytes: its payload length is read from beyond the record`,
      });
      return;
    }
    if (!heartbeat.exceedsRecord) {
      // a well-formed request: every OpenSSL with heartbeats echoes it
      this.output.push(vulnerableResponse(record.fragment, heartbeat.payloadLength, this.version, this.host.hostname));
      return;
    }
    const beyond = bytesReadBeyondRecord(heartbeat);
    const vulnerable = this.host.reportExploit({
      vulnerability: 'CVE-2014-0160',
      service: 'tls',
      detail:
        `heartbeat request declares ${heartbeat.payloadLength} payload bytes in a ${heartbeat.recordBytes}-byte record ` +
        `(needs ${heartbeat.payloadLength + 3 + MIN_PADDING_BYTES} with padding): ${beyond} bytes of memory beyond it would be returned`,
    });
    // RFC 6520 section 4: a request too long for its record is discarded silently (1.0.1g)
    if (vulnerable) this.output.push(vulnerableResponse(record.fragment, heartbeat.payloadLength, this.version, this.host.hostname));
  }

  private encryptedHeartbeat(record: TlsRecord): void {
    const minimum = minimumEncryptedHeartbeatBytes(this.suite!, this.version);
    if (record.fragment.length >= minimum) return;
    const vulnerable = this.host.reportExploit({
      vulnerability: 'CVE-2014-0160',
      service: 'tls',
      detail:
        `encrypted heartbeat record of ${record.fragment.length} bytes under ${this.suite!.name}: a request with its 16 bytes ` +
        `of padding needs at least ${minimum}, so it declares more payload than it carries`,
    });
    if (vulnerable) this.output.push(opaqueVulnerableResponse(this.suite!, this.version));
  }

  private fail(problem: string, description: number): void {
    this.host.anomaly(`tls.${problem}`);
    this.output.push(fatalAlert(this.version, description));
    this.phase = 'closed';
  }
}

/** Apache's answer when plain HTTP reaches its SSL port */
function plainHttpAnswer(host: ServiceHost): Uint8Array {
  const server = host.profile.services.find((service) => service.port === 443)?.banner ?? 'Apache';
  const body =
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>400 Bad Request</title>\n</head><body>\n<h1>Bad Request</h1>\n' +
    '<p>Your browser sent a request that this server could not understand.<br />\nReason: You\'re speaking plain HTTP to an SSL-enabled server port.<br />\n' +
    ' Instead use the HTTPS scheme to access this URL, please.<br />\n</p>\n</body></html>\n';
  const head = `HTTP/1.1 400 Bad Request\r\nServer: ${server}\r\nContent-Length: ${body.length}\r\nConnection: close\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n`;
  return new TextEncoder().encode(head + body);
}
