/**
 * The server's first flight as OpenSSL 1.0.1 sends it for an RSA suite: ServerHello, Certificate
 * and ServerHelloDone, each in its own record.
 */
import { randomBytes } from 'node:crypto';
import type { ClientHello } from './client-hello.ts';
import { ExtensionType } from './client-hello.ts';
import type { CipherSuite } from './cipher-suites.ts';
import { selfMadeCertificate } from './self-made-certificate.ts';
import { concatBytes, ContentType, encodeRecord } from './tls-record-reader.ts';

export const HandshakeType = {
  clientHello: 1,
  serverHello: 2,
  certificate: 11,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
} as const;

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746): the client supports secure renegotiation */
const RENEGOTIATION_SCSV = 0x00ff;
/** RFC 6520: the server lets the peer send heartbeat requests */
const PEER_ALLOWED_TO_SEND = 1;
const SSL3 = 0x0300;

export function handshakeMessage(type: number, body: Uint8Array): Uint8Array {
  const header = Uint8Array.of(type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff);
  return concatBytes(header, body);
}

export function serverFlight(hello: ClientHello, version: number, suite: CipherSuite, hostname: string): Uint8Array {
  const serverHello = handshakeMessage(HandshakeType.serverHello, serverHelloBody(hello, version, suite));
  const certificate = selfMadeCertificate(hostname);
  const chain = concatBytes(length24(certificate.length + 3), length24(certificate.length), certificate);
  return concatBytes(
    encodeRecord(ContentType.handshake, version, serverHello),
    encodeRecord(ContentType.handshake, version, handshakeMessage(HandshakeType.certificate, chain)),
    encodeRecord(ContentType.handshake, version, handshakeMessage(HandshakeType.serverHelloDone, new Uint8Array(0))),
  );
}

function serverHelloBody(hello: ClientHello, version: number, suite: CipherSuite): Uint8Array {
  const random = randomBytes(32);
  // OpenSSL 1.0.1 still starts its random with the time (gmt_unix_time)
  new DataView(random.buffer, random.byteOffset).setUint32(0, Math.floor(Date.now() / 1000));
  const sessionId = randomBytes(32);
  const fixed = concatBytes(Uint8Array.of(version >> 8, version & 0xff), random, Uint8Array.of(sessionId.length), sessionId, Uint8Array.of(suite.id >> 8, suite.id & 0xff, 0));
  const extensions = version === SSL3 ? new Uint8Array(0) : serverExtensions(hello);
  if (extensions.length === 0) return fixed;
  return concatBytes(fixed, Uint8Array.of(extensions.length >> 8, extensions.length & 0xff), extensions);
}

function serverExtensions(hello: ClientHello): Uint8Array {
  const parts: Uint8Array[] = [];
  if (hello.extensions.has(ExtensionType.renegotiationInfo) || hello.cipherSuites.includes(RENEGOTIATION_SCSV)) {
    parts.push(extension(ExtensionType.renegotiationInfo, Uint8Array.of(0)));
  }
  if (hello.extensions.has(ExtensionType.heartbeat)) parts.push(extension(ExtensionType.heartbeat, Uint8Array.of(PEER_ALLOWED_TO_SEND)));
  return concatBytes(...parts);
}

function extension(type: number, data: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(type >> 8, type & 0xff, data.length >> 8, data.length & 0xff), data);
}

function length24(value: number): Uint8Array {
  return Uint8Array.of(value >> 16, (value >> 8) & 0xff, value & 0xff);
}
