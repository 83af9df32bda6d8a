const FIRST_CHUNK_BYTES = 1024;
const LARGEST_CHUNK_BYTES = 1024 * 1024;

/**
 * One direction's stored payload, as a list of chunks that grow fourfold (1 KiB, 4 KiB … 1 MiB, then
 * 1 MiB each): a session costs a few allocations rather than one Buffer per segment, and growing
 * never copies what is already stored. Input buffers are reused by the capture reader, so `append`
 * always copies. Views are handed out only when the session ends; a range inside one chunk is a
 * zero-copy view, a range across chunks is copied once.
 */
export class StreamBuffer {
  private chunks: Buffer[] = [];
  /** stream offset of each chunk's first byte */
  private chunkStarts: number[] = [];
  private current: Buffer | null = null;
  private currentStart = 0;
  length = 0;
  capacity = 0;

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
        chunk = this.addChunk(count - copied, limit);
        used = 0;
      }
      const take = Math.min(count - copied, chunk.length - used);
      const start = from + copied;
      // TypedArray#set is a plain memcpy; Buffer#copy goes through more JavaScript for the same job
      if (start === 0 && take === data.length) chunk.set(data, used);
      else data.copy(chunk, used, start, start + take);
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
    const chunkStart = this.chunkStarts[index];
    const chunk = this.chunks[index];
    if (end - chunkStart <= chunk.length) return chunk.subarray(start - chunkStart, end - chunkStart);
    const out = Buffer.allocUnsafe(end - start);
    this.forEachPiece(start, end - start, (piece, pieceOffset, outOffset, length) => {
      piece.copy(out, outOffset, pieceOffset, pieceOffset + length);
      return true;
    });
    return out;
  }

  private addChunk(wanted: number, limit: number): Buffer {
    const previous = this.current === null ? 0 : this.current.length;
    let size = previous === 0 ? FIRST_CHUNK_BYTES : Math.min(previous * 4, LARGEST_CHUNK_BYTES);
    if (size < wanted) size = wanted;
    // never reserve more than the depth limit allows us to store
    size = Math.max(1, Math.min(size, limit - this.length));
    const chunk = Buffer.allocUnsafe(size);
    this.chunks.push(chunk);
    this.chunkStarts.push(this.length);
    this.current = chunk;
    this.currentStart = this.length;
    this.capacity += size;
    return chunk;
  }

  private chunkIndex(offset: number): number {
    const starts = this.chunkStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (starts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** Calls `visit` for each chunk piece of `[offset, offset + length)`; stops early when it returns false. */
  private forEachPiece(
    offset: number,
    length: number,
    visit: (chunk: Buffer, chunkOffset: number, rangeOffset: number, pieceLength: number) => boolean,
  ): boolean {
    let index = this.chunkIndex(offset);
    let done = 0;
    while (done < length) {
      const chunk = this.chunks[index];
      const chunkOffset = offset + done - this.chunkStarts[index];
      const pieceLength = Math.min(length - done, chunk.length - chunkOffset);
      if (!visit(chunk, chunkOffset, done, pieceLength)) return false;
      done += pieceLength;
      index++;
    }
    return true;
  }
}
