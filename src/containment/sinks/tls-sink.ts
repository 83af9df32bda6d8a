/**
 * TLS: reads the ClientHello (over as many records as it takes), records the SNI, the offered
 * versions and ALPN, then answers a fatal handshake_failure alert and closes. No key is ever made.
 */
import { concatBytes } from '../bytes.ts';
import type { SinkContext, TcpSink } from '../sink.ts';

const MAX_HELLO_BYTES = 16_384;
const HANDSHAKE_FAILURE = Uint8Array.of(0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28);

export class TlsSink implements TcpSink {
  readonly name = 'tls' as const;
  readonly protocol = 'tls' as const;
  private records: Uint8Array = new Uint8Array(0);
  private handshake: Uint8Array = new Uint8Array(0);
  private recordVersion = 0;
  private done = false;

  constructor(private readonly context: SinkContext) {}

  start(): void {}

  receive(bytes: Uint8Array): void {
    if (this.done) return;
    this.records = concatBytes(this.records, bytes);
    while (this.records.length >= 5 && !this.done) {
      if (this.records[0] !== 0x16) return this.fail('tls_not_handshake');
      const length = (this.records[3]! << 8) | this.records[4]!;
      if (this.records.length < 5 + length) return;
      if (this.recordVersion === 0) this.recordVersion = (this.records[1]! << 8) | this.records[2]!;
      this.handshake = concatBytes(this.handshake, this.records.subarray(5, 5 + length));
      this.records = this.records.subarray(5 + length);
      if (this.handshake.length > MAX_HELLO_BYTES) return this.fail('tls_hello_too_long');
      if (this.handshake.length >= 4) {
        if (this.handshake[0] !== 0x01) return this.fail('tls_not_client_hello');
        const helloLength = (this.handshake[1]! << 16) | (this.handshake[2]! << 8) | this.handshake[3]!;
        if (this.handshake.length >= 4 + helloLength) this.hello(this.handshake.subarray(4, 4 + helloLength));
      }
    }
  }

  end(): void {
    if (!this.done && (this.records.length > 0 || this.handshake.length > 0)) this.context.anomaly('tls_hello_truncated');
  }

  private fail(anomaly: string): void {
    this.context.anomaly(anomaly);
    this.finish();
  }

  private finish(): void {
    this.done = true;
    this.context.reply(HANDSHAKE_FAILURE);
    this.context.finish();
  }

  private hello(body: Uint8Array): void {
    const hello = parseClientHello(body, (name) => this.context.anomaly(name));
    this.context.record('tls', { kind: 'tls_client_hello', recordVersion: this.recordVersion, ...hello });
    this.finish();
  }
}

export interface ClientHelloFacts {
  clientVersion: number;
  sni: string;
  cipherSuites: number;
  alpn: string[];
}

/** Never throws: a field that runs past the end stops the parse with an anomaly, keeping what was read. */
export function parseClientHello(body: Uint8Array, anomaly: (name: string) => void): ClientHelloFacts {
  const facts: ClientHelloFacts = { clientVersion: 0, sni: '', cipherSuites: 0, alpn: [] };
  const u8 = (at: number): number => body[at] ?? -1;
  const u16 = (at: number): number => (at + 1 < body.length ? (body[at]! << 8) | body[at + 1]! : -1);
  if (body.length < 35) {
    anomaly('tls_hello_truncated');
    return facts;
  }
  facts.clientVersion = u16(0);
  let offset = 34;
  const sessionLength = u8(offset);
  offset += 1 + Math.max(0, sessionLength);
  const suitesLength = u16(offset);
  if (suitesLength < 0 || offset + 2 + suitesLength > body.length) {
    anomaly('tls_hello_truncated');
    return facts;
  }
  facts.cipherSuites = suitesLength >> 1;
  offset += 2 + suitesLength;
  const compressionLength = u8(offset);
  offset += 1 + Math.max(0, compressionLength);
  if (offset >= body.length) return facts; // no extensions: an old client
  const extensionsEnd = Math.min(body.length, offset + 2 + Math.max(0, u16(offset)));
  offset += 2;
  while (offset + 4 <= extensionsEnd) {
    const type = u16(offset);
    const length = u16(offset + 2);
    const start = offset + 4;
    if (start + length > extensionsEnd) {
      anomaly('tls_extension_truncated');
      break;
    }
    if (type === 0) facts.sni = serverName(body.subarray(start, start + length), anomaly);
    if (type === 16) facts.alpn = protocols(body.subarray(start, start + length));
    offset = start + length;
  }
  return facts;
}

function serverName(data: Uint8Array, anomaly: (name: string) => void): string {
  // list length (2), then entries: type (1), length (2), name
  if (data.length < 5 || data[2] !== 0) {
    anomaly('tls_sni_malformed');
    return '';
  }
  const length = (data[3]! << 8) | data[4]!;
  if (5 + length > data.length) anomaly('tls_sni_malformed');
  return Buffer.from(data.subarray(5, 5 + length)).toString('latin1');
}

function protocols(data: Uint8Array): string[] {
  const out: string[] = [];
  let offset = 2;
  while (offset < data.length && out.length < 8) {
    const length = data[offset]!;
    out.push(Buffer.from(data.subarray(offset + 1, offset + 1 + length)).toString('latin1'));
    offset += 1 + length;
  }
  return out;
}
