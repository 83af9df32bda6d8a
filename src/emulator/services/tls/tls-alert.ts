/** TLS alerts (RFC 5246 7.2) the emulated server sends before it closes. */
import { ContentType, encodeRecord } from './tls-record-reader.ts';

export const AlertDescription = {
  unexpectedMessage: 10,
  recordOverflow: 22,
  handshakeFailure: 40,
  illegalParameter: 47,
  decodeError: 50,
  protocolVersion: 70,
} as const;

const FATAL = 2;

/** a fatal alert record: the server closes right after it */
export function fatalAlert(version: number, description: number): Uint8Array {
  return encodeRecord(ContentType.alert, version, Uint8Array.of(FATAL, description));
}
