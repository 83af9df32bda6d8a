import type { ChunkPool } from './chunk-pool.ts';
import { StreamBuffer } from './stream-buffer.ts';

/** One direction of a UDP pseudo-session: datagram payloads appended in arrival order. */
export class DatagramStream {
  deliveredBytes = 0;
  readonly missingBytes = 0;
  truncated = false;
  storeLimit = Number.MAX_SAFE_INTEGER;
  readonly stream: StreamBuffer;

  constructor(pool?: ChunkPool) {
    this.stream = new StreamBuffer(pool);
  }

  get memoryBytes(): number {
    return this.stream.memoryBytes;
  }

  insert(payload: Buffer): void {
    const stored = this.stream.append(payload, 0, payload.length, this.storeLimit);
    if (stored < payload.length) this.truncated = true;
    this.deliveredBytes += payload.length;
  }

  finish(): void {}
}
