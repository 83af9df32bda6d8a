/**
 * TLS heartbeats (RFC 6520) and how OpenSSL 1.0.1f mishandles them (CVE-2014-0160): it trusts the
 * request's payload_length and copies that many bytes from where the payload starts, whatever the
 * record really holds, so a short record with a large declared length reads the heap beyond it.
 * 1.0.1g added the RFC's bound: a request whose record cannot hold type, length, the declared
 * payload and 16 bytes of padding is discarded silently. That bound is the check here.
 */
import { randomBytes } from 'node:crypto';
import type { CipherSuite } from './cipher-suites.ts';
import { ciphertextBytes } from './cipher-suites.ts';
import { plausibleProcessMemory } from './plausible-process-memory.ts';
import { concatBytes, ContentType, encodeRecord, encodeRecords } from './tls-record-reader.ts';

const HEARTBEAT_REQUEST = 1;
const HEARTBEAT_RESPONSE = 2;
const HEADER_BYTES = 3;
export const MIN_PADDING_BYTES = 16;
/** what the Heartbleed tools ask for; used when the declared length is hidden in ciphertext */
const USUAL_DECLARED_BYTES = 0x4000;

export type PlaintextHeartbeat =
  | { kind: 'request'; payloadLength: number; recordBytes: number; exceedsRecord: boolean }
  | { kind: 'truncated'; recordBytes: number }
  | { kind: 'response' }
  | { kind: 'type_unknown' };

export function inspectHeartbeat(fragment: Uint8Array): PlaintextHeartbeat {
  if (fragment.length === 0) return { kind: 'truncated', recordBytes: 0 };
  if (fragment[0] === HEARTBEAT_RESPONSE) return { kind: 'response' };
  if (fragment[0] !== HEARTBEAT_REQUEST) return { kind: 'type_unknown' };
  // 1.0.1f reads the length from past the end of such a record too
  if (fragment.length < HEADER_BYTES) return { kind: 'truncated', recordBytes: fragment.length };
  const payloadLength = (fragment[1]! << 8) | fragment[2]!;
  return { kind: 'request', payloadLength, recordBytes: fragment.length, exceedsRecord: HEADER_BYTES + payloadLength + MIN_PADDING_BYTES > fragment.length };
}

/** bytes past the record that OpenSSL 1.0.1f copies into its answer */
export function bytesReadBeyondRecord(request: { payloadLength: number; recordBytes: number }): number {
  return Math.max(0, HEADER_BYTES + request.payloadLength - request.recordBytes);
}

/**
 * What 1.0.1f sends back: type response, the declared length, that many bytes from the payload's
 * start (the record's own bytes, then whatever memory follows it) and 16 random bytes of padding,
 * in as many records as it takes.
 */
export function vulnerableResponse(fragment: Uint8Array, payloadLength: number, version: number, hostname: string): Uint8Array {
  const carried = fragment.subarray(HEADER_BYTES, HEADER_BYTES + payloadLength);
  const message = concatBytes(
    Uint8Array.of(HEARTBEAT_RESPONSE, payloadLength >> 8, payloadLength & 0xff),
    carried,
    plausibleProcessMemory(payloadLength - carried.length, hostname),
    randomBytes(MIN_PADDING_BYTES),
  );
  return encodeRecords(ContentType.heartbeat, version, message);
}

/**
 * The smallest encrypted record a well-formed heartbeat can travel in under `suite`: type, length,
 * an empty payload and 16 bytes of padding, protected. Anything shorter decrypts to a request that
 * cannot hold its own padding, let alone the payload it declares: the shape of every Heartbleed
 * probe sent after the handshake (3 bytes declaring kilobytes).
 */
export function minimumEncryptedHeartbeatBytes(suite: CipherSuite, version: number): number {
  return ciphertextBytes(suite, version, HEADER_BYTES + MIN_PADDING_BYTES);
}

/** 1.0.1f's answer to an encrypted request it took: opaque records as long as the usual declared length needs */
export function opaqueVulnerableResponse(suite: CipherSuite, version: number): Uint8Array {
  const plaintextBytes = HEADER_BYTES + USUAL_DECLARED_BYTES + MIN_PADDING_BYTES;
  const records: Uint8Array[] = [];
  for (let remaining = plaintextBytes; remaining > 0; remaining -= 1 << 14) {
    records.push(encodeRecord(ContentType.heartbeat, version, randomBytes(ciphertextBytes(suite, version, Math.min(remaining, 1 << 14)))));
  }
  return concatBytes(...records);
}
