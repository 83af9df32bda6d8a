/**
 * Chunk sizes a stream grows through, each double the last; the largest repeats. Doubling from
 * 512 bytes keeps the unused tail of a stream's last chunk small: on the ingest benchmark's live
 * flows it reserves 1.2× the stored bytes, where 1 KiB growing fourfold to 64 KiB reserved 1.6×.
 */
export const CHUNK_CLASS_BYTES = [512, 1024, 2048, 4096, 8192, 16384] as const;

/** A chunk's Buffer object (a view of a slab) and its place in a list: heap bytes, Node 20 x64. */
export const CHUNK_OVERHEAD_BYTES = 96;

/** Slabs are carved into chunks; large enough that a slab allocation is rare. */
const SLAB_BYTES = 1024 * 1024;

/**
 * Stream chunks for reuse, like Suricata's stream segment pools: chunks are views carved from 1 MiB
 * slabs, and a session that ends gives its chunks back (its turns are copied out first, see
 * FlowTable) to a free list per size class. A warm table then stops allocating: no fresh pages to
 * fault in (on virtual machines the first touch of a page costs far more than the copy into it),
 * no external memory making V8 collect early.
 *
 * A request no free chunk of its class can serve splits a free chunk of a larger class before a
 * slab is carved further, so memory idle in one class serves the others. `reservedBytes` (every
 * slab) minus `usedBytes` (chunks handed out) is what the pool holds idle; it is released with the
 * pool. Sizes that are not a class (a stream's last chunk at the depth limit) are plain allocations.
 */
export class ChunkPool {
  private readonly free: Buffer[][] = CHUNK_CLASS_BYTES.map(() => []);
  private slab: Buffer | null = null;
  private slabUsed = 0;
  /** bytes of every slab carved so far */
  reservedBytes = 0;
  /** bytes of the class-sized chunks handed out and not given back */
  usedBytes = 0;

  /** A chunk of `size` bytes, uninitialised. */
  take(size: number): Buffer {
    const sizeClass = classIndex(size);
    if (sizeClass < 0) return Buffer.allocUnsafe(size);
    this.usedBytes += size;
    const list = this.free[sizeClass];
    if (list.length > 0) return list.pop()!;
    return this.split(sizeClass) ?? this.carve(size);
  }

  /** Takes a chunk back; the caller must hold no view of it any more. */
  give(chunk: Buffer): void {
    const sizeClass = classIndex(chunk.length);
    if (sizeClass < 0) return;
    this.usedBytes -= chunk.length;
    this.free[sizeClass].push(chunk);
  }

  /** Cuts the smallest free chunk of a larger class into chunks of `sizeClass`; returns one, keeps the rest. */
  private split(sizeClass: number): Buffer | null {
    for (let larger = sizeClass + 1; larger < CHUNK_CLASS_BYTES.length; larger++) {
      const donor = this.free[larger].pop();
      if (donor === undefined) continue;
      const size = CHUNK_CLASS_BYTES[sizeClass];
      const list = this.free[sizeClass];
      for (let offset = size; offset < donor.length; offset += size) list.push(donor.subarray(offset, offset + size));
      return donor.subarray(0, size);
    }
    return null;
  }

  private carve(size: number): Buffer {
    if (this.slab === null || this.slabUsed + size > SLAB_BYTES) {
      // the tail of the old slab (less than one largest chunk) is left unused
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.slabUsed = 0;
      this.reservedBytes += SLAB_BYTES;
    }
    const chunk = this.slab.subarray(this.slabUsed, this.slabUsed + size);
    this.slabUsed += size;
    return chunk;
  }
}

function classIndex(size: number): number {
  switch (size) {
    case 512:
      return 0;
    case 1024:
      return 1;
    case 2048:
      return 2;
    case 4096:
      return 3;
    case 8192:
      return 4;
    case 16384:
      return 5;
    default:
      return -1;
  }
}
