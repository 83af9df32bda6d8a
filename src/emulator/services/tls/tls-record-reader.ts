/**
 * The TLS record layer of a client's stream (RFC 5246 6.2): records come in whatever TCP pieces
 * the client sent, so bytes are buffered until a whole record is there. A header that cannot be a
 * TLS record stops the reader for good: after it nothing in the stream can be framed again.
 */
import { concatBytes as joinBytes } from '../../../core/index.ts';

export const ContentType = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
  heartbeat: 24,
} as const;

export const RECORD_HEADER_BYTES = 5;
/** RFC 5246 6.2.3: a ciphertext may carry 2^14 bytes of plaintext plus 2,048 of expansion */
export const MAX_RECORD_BYTES = (1 << 14) + 2_048;
export const MAX_PLAINTEXT_BYTES = 1 << 14;

export interface TlsRecord {
  type: number;
  version: number;
  fragment: Uint8Array;
}

export type RecordProblem = 'record_type_unknown' | 'record_version_invalid' | 'record_too_long';

export class TlsRecordReader {
  private buffered: Uint8Array = new Uint8Array(0);
  private failure: RecordProblem | null = null;

  /** the reason the stream cannot be framed, once it cannot */
  get problem(): RecordProblem | null {
    return this.failure;
  }

  get pendingBytes(): number {
    return this.buffered.length;
  }

  /** adds bytes and takes out every whole record; stops at the first header that is not TLS */
  push(bytes: Uint8Array): TlsRecord[] {
    if (this.failure) return [];
    this.buffered = concatBytes(this.buffered, bytes);
    const records: TlsRecord[] = [];
    let offset = 0;
    while (this.buffered.length - offset >= RECORD_HEADER_BYTES) {
      const type = this.buffered[offset]!;
      const version = (this.buffered[offset + 1]! << 8) | this.buffered[offset + 2]!;
      const length = (this.buffered[offset + 3]! << 8) | this.buffered[offset + 4]!;
      this.failure = headerProblem(type, version, length);
      if (this.failure) break;
      if (this.buffered.length - offset < RECORD_HEADER_BYTES + length) break;
      const start = offset + RECORD_HEADER_BYTES;
      records.push({ type, version, fragment: this.buffered.slice(start, start + length) });
      offset = start + length;
    }
    this.buffered = this.failure ? new Uint8Array(0) : this.buffered.slice(offset);
    return records;
  }
}

function headerProblem(type: number, version: number, length: number): RecordProblem | null {
  if (type < ContentType.changeCipherSpec || type > ContentType.heartbeat) return 'record_type_unknown';
  if (version >> 8 !== 3) return 'record_version_invalid';
  if (length > MAX_RECORD_BYTES) return 'record_too_long';
  return null;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return joinBytes(parts);
}

/** one record of `type` around `fragment` (the caller keeps fragments within 2^14 bytes) */
export function encodeRecord(type: number, version: number, fragment: Uint8Array): Uint8Array {
  const record = new Uint8Array(RECORD_HEADER_BYTES + fragment.length);
  record[0] = type;
  record[1] = version >> 8;
  record[2] = version & 0xff;
  record[3] = fragment.length >> 8;
  record[4] = fragment.length & 0xff;
  record.set(fragment, RECORD_HEADER_BYTES);
  return record;
}

/** `bytes` cut into as many records as 2^14-byte fragments need, as OpenSSL's ssl3_write_bytes does */
export function encodeRecords(type: number, version: number, bytes: Uint8Array): Uint8Array {
  const records: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length || records.length === 0; offset += MAX_PLAINTEXT_BYTES) {
    records.push(encodeRecord(type, version, bytes.subarray(offset, offset + MAX_PLAINTEXT_BYTES)));
  }
  return concatBytes(...records);
}
