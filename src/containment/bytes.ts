/** Small byte helpers the sinks share: hex for evidence, hashes, text without decoding errors. */
import { createHash, type Hash } from 'node:crypto';

export function hexPrefix(bytes: Uint8Array, max = 64): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, max)).toString('hex');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Bytes as text where every byte is one character: hostile bytes never fail to decode. */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.max(0, end - start)).toString('latin1');
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function asciiBytes(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

/** Counts and hashes a stream while keeping at most `cap` bytes of it. */
export class RecordedStream {
  private readonly hash: Hash = createHash('sha256');
  private readonly head: Uint8Array[] = [];
  private headLength = 0;
  total = 0;
  recorded = 0;

  constructor(private readonly cap: number) {}

  /** Returns the part of `bytes` that fits under the cap (the part to parse). */
  take(bytes: Uint8Array): Uint8Array {
    this.total += bytes.length;
    const room = Math.max(0, this.cap - this.recorded);
    const kept = bytes.length <= room ? bytes : bytes.subarray(0, room);
    if (kept.length > 0) {
      this.hash.update(kept);
      this.recorded += kept.length;
      if (this.headLength < 64) {
        const slice = kept.slice(0, 64 - this.headLength);
        this.head.push(slice);
        this.headLength += slice.length;
      }
    }
    return kept;
  }

  get truncated(): boolean {
    return this.total > this.recorded;
  }

  firstBytesHex(): string {
    return this.head.map((chunk) => Buffer.from(chunk).toString('hex')).join('');
  }

  /** Finishes the hash; call once. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
