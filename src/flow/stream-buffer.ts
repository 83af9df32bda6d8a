import { CHUNK_CLASS_BYTES, CHUNK_OVERHEAD_BYTES, ChunkPool } from './chunk-pool.ts';

const LARGEST_CLASS = CHUNK_CLASS_BYTES.length - 1;

/**
 * One direction's stored payload, as a list of chunks taken from a {@link ChunkPool} that grow
 * twofold (512 bytes … 16 KiB, then 16 KiB each): small sessions stay small, and growing never
 * copies what is already stored. Input buffers are reused by the capture reader, so `append` always
 * copies. A range inside one chunk can be had as a zero-copy `view`; the flow table instead copies
 * a session's bytes out with `copyTo` and gives the chunks back with `release`.
 */
export class StreamBuffer {
  private chunks: Buffer[] = [];
  private current: Buffer | null = null;
  private currentStart = 0;
  /** set by `chunkIndex` */
  private chunkStart = 0;
  length = 0;
  /** bytes reserved in chunks */
  capacity = 0;

  /** `pool`: where chunks come from and go back to; without one they are plain allocations */
  constructor(private readonly pool: ChunkPool | null = null) {}

  /** What the chunks cost, their bookkeeping included: what the memory cap is charged. */
  get memoryBytes(): number {
    return this.capacity + this.chunks.length * CHUNK_OVERHEAD_BYTES;
  }

  /** Copies `data[from, to)` but stores nothing past `limit` bytes in total; returns bytes stored. */
  append(data: Buffer, from: number, to: number, limit: number): number {
    const room = limit - this.length;
    if (room <= 0) return 0;
    const count = Math.min(to - from, room);
    let copied = 0;
    while (copied < count) {
      let chunk = this.current;
      let used = this.length - this.currentStart;
      if (chunk === null || used === chunk.length) {
        chunk = this.addChunk(limit);
        used = 0;
      }
      const take = Math.min(count - copied, chunk.length - used);
      const start = from + copied;
      // TypedArray#set is a plain memcpy; Buffer#copy goes through more JavaScript for the same job
      chunk.set(start === 0 && take === data.length ? data : data.subarray(start, start + take), used);
      copied += take;
      this.length += take;
    }
    return count;
  }

  /** Overwrites stored bytes at `offset` (the 'last' overlap policy); the range must be stored. */
  overwrite(offset: number, data: Buffer, from: number, to: number): void {
    this.forEachPiece(offset, to - from, (chunk, chunkOffset, dataOffset, length) => {
      data.copy(chunk, chunkOffset, from + dataOffset, from + dataOffset + length);
      return true;
    });
  }

  /** true when `data[from, to)` equals the stored bytes at `offset`. */
  matches(offset: number, data: Buffer, from: number, to: number): boolean {
    return this.forEachPiece(
      offset,
      to - from,
      (chunk, chunkOffset, dataOffset, length) =>
        data.compare(chunk, chunkOffset, chunkOffset + length, from + dataOffset, from + dataOffset + length) === 0,
    );
  }

  /** Bytes `[start, end)`: a view when they sit in one chunk, else a copy. */
  view(start: number, end: number): Buffer {
    if (end <= start) return Buffer.alloc(0);
    const index = this.chunkIndex(start);
    const chunkStart = this.chunkStart;
    const chunk = this.chunks[index];
    if (end - chunkStart <= chunk.length) return chunk.subarray(start - chunkStart, end - chunkStart);
    const out = Buffer.allocUnsafe(end - start);
    this.forEachPiece(start, end - start, (piece, pieceOffset, outOffset, length) => {
      piece.copy(out, outOffset, pieceOffset, pieceOffset + length);
      return true;
    });
    return out;
  }

  /**
   * Copies bytes `[start, end)` into `target` at `targetOffset`; returns the bytes copied. `start`
   * must be a stored offset.
   */
  copyTo(target: Buffer, targetOffset: number, start = 0, end = this.length): number {
    if (end <= start) return 0;
    this.forEachPiece(start, end - start, (piece, pieceOffset, outOffset, length) => {
      target.set(piece.subarray(pieceOffset, pieceOffset + length), targetOffset + outOffset);
      return true;
    });
    return end - start;
  }

  /** Gives every chunk back to the pool and empties the buffer; views handed out before become invalid. */
  release(): void {
    if (this.pool !== null) for (const chunk of this.chunks) this.pool.give(chunk);
    this.chunks.length = 0;
    this.current = null;
    this.currentStart = 0;
    this.length = 0;
    this.capacity = 0;
  }

  private addChunk(limit: number): Buffer {
    const classSize = CHUNK_CLASS_BYTES[Math.min(this.chunks.length, LARGEST_CLASS)];
    // never reserve more than the depth limit allows us to store
    const size = Math.max(1, Math.min(classSize, limit - this.length));
    const chunk = this.pool === null ? Buffer.allocUnsafe(size) : this.pool.take(size);
    this.chunks.push(chunk);
    this.current = chunk;
    this.currentStart = this.length;
    this.capacity += size;
    return chunk;
  }

  /**
   * Index of the chunk holding stream `offset` (which must be stored); leaves that chunk's first
   * offset in `chunkStart`. A walk from the nearer end instead of a table of chunk starts, which
   * would cost every stream an array: overlaps (retransmissions) look near the end, the copy-out at
   * the session's end starts at 0.
   */
  private chunkIndex(offset: number): number {
    const chunks = this.chunks;
    let index: number;
    let start: number;
    if (offset < this.currentStart / 2) {
      index = 0;
      start = 0;
      while (start + chunks[index].length <= offset) start += chunks[index++].length;
    } else {
      index = chunks.length - 1;
      start = this.currentStart;
      while (start > offset) start -= chunks[--index].length;
    }
    this.chunkStart = start;
    return index;
  }

  /** Calls `visit` for each chunk piece of `[offset, offset + length)`; stops early when it returns false. */
  private forEachPiece(
    offset: number,
    length: number,
    visit: (chunk: Buffer, chunkOffset: number, rangeOffset: number, pieceLength: number) => boolean,
  ): boolean {
    let index = this.chunkIndex(offset);
    let chunkOffset = offset - this.chunkStart;
    let done = 0;
    while (done < length) {
      const chunk = this.chunks[index];
      const pieceLength = Math.min(length - done, chunk.length - chunkOffset);
      if (!visit(chunk, chunkOffset, done, pieceLength)) return false;
      done += pieceLength;
      chunkOffset = 0;
      index++;
    }
    return true;
  }
}
