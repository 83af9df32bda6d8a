import type { AnomalySink } from '../../core/index.ts';
import type { ChunkPool } from '../chunk-pool.ts';
import { StreamBuffer } from '../stream-buffer.ts';

/** Which copy of overlapping bytes is kept when two segments disagree. */
export type OverlapPolicy = 'first' | 'last';

export interface TcpReassemblerOptions {
  overlapPolicy: OverlapPolicy;
  /** out-of-order bytes held while waiting for a hole to fill; beyond it the hole is skipped */
  maxQueuedBytes: number;
  /** out-of-order segments held (bounds the cost of inserting into the queue) */
  maxQueuedSegments: number;
}

export const defaultReassemblerOptions: TcpReassemblerOptions = {
  overlapPolicy: 'first',
  maxQueuedBytes: 4 * 1024 * 1024, // 4 MiB: more than one bandwidth-delay product of a LAN flow
  maxQueuedSegments: 4096,
};

/** An out-of-order segment; `start` is an absolute stream position (0 = initial sequence). */
interface QueuedSegment {
  start: number;
  data: Buffer;
}

/** Per-segment bookkeeping charged against the memory cap on top of the payload bytes. */
const QUEUED_SEGMENT_OVERHEAD_BYTES = 96;

/**
 * Puts one direction of a TCP connection back in order.
 *
 * Positions are kept as absolute stream offsets (doubles, 0 = the initial sequence number) and the
 * wire's 32-bit sequence numbers are converted once, by signed 32-bit difference from the next
 * expected sequence, so wrap-around past 0xFFFFFFFF needs no special case anywhere else.
 *
 * In-order bytes are copied straight into the direction's {@link StreamBuffer}; segments ahead of a
 * hole are copied into a bounded queue and delivered when the hole fills. Holes that never fill are
 * skipped (counted in `missingBytes`, anomaly `reassembly_gap`) when the queue limit is hit or when
 * the owner calls {@link finish} — tshark's "follow" output skips missing bytes the same way.
 *
 * Overlap policy. Ptacek & Newsham ("Insertion, Evasion, and Denial of Service", 1998) showed that a
 * monitor which resolves overlapping segments differently from the target sees a different stream;
 * Novak & Sturges ("Target-Based TCP Stream Reassembly", 2007) catalogue how real stacks resolve
 * them (BSD, Linux, Windows, Solaris, HP-UX, "first", "last"). We offer the two ends of that range:
 * - `first`: the first copy of every byte wins (bytes already accepted are never replaced — what a
 *   receiver does once the bytes are in order, and what tshark's follow output shows);
 * - `last`: a later copy replaces earlier ones, both in the out-of-order queue and in bytes already
 *   delivered — the stream a target sees when the earlier copy was an insertion it never accepted
 *   (bad checksum, TTL expiring before the target).
 * Either way, overlapping bytes that differ raise `reassembly_overlap_mismatch`; identical
 * retransmissions are silently ignored. Bytes already delivered can only be compared (and, under
 * `last`, replaced) while they are still stored: not after the depth limit or before a skipped gap.
 */
export class TcpReassembler {
  /** bytes made available in order, each counted once (including bytes past the storage limit) */
  deliveredBytes = 0;
  /** bytes of holes skipped */
  missingBytes = 0;
  /** set when bytes were delivered but could not be stored because of `storeLimit` */
  truncated = false;
  /** the most bytes `stream` may hold; the owner moves it to share a depth budget between directions */
  storeLimit = Number.MAX_SAFE_INTEGER;
  readonly stream: StreamBuffer;

  private nextSequence: number;
  private nextPosition = 0;
  /** absolute position after the last skipped gap: stored offsets are exact only past it */
  private lastGapEnd = 0;
  private queue: QueuedSegment[] | null = null;
  private queuedBytes = 0;

  constructor(
    initialSequence: number,
    private readonly options: TcpReassemblerOptions,
    private readonly anomalies: AnomalySink,
    /** where the stream's chunks come from and go back to; none: plain allocations */
    pool?: ChunkPool,
  ) {
    this.nextSequence = initialSequence >>> 0;
    this.stream = new StreamBuffer(pool);
  }

  /** The sequence number the next in-order byte will carry. */
  get expectedSequence(): number {
    return this.nextSequence;
  }

  get queuedSegments(): number {
    return this.queue === null ? 0 : this.queue.length;
  }

  /** Estimate of the memory this direction holds: stored stream plus queued segments. */
  get memoryBytes(): number {
    const queued = this.queue === null ? 0 : this.queuedBytes + this.queue.length * QUEUED_SEGMENT_OVERHEAD_BYTES;
    return this.stream.memoryBytes + queued;
  }

  /** Adds a segment's payload; `payload` may be reused by the caller afterwards. */
  insert(sequence: number, payload: Buffer): void {
    const length = payload.length;
    if (length === 0) return;
    const relative = (sequence - this.nextSequence) | 0; // signed 32-bit distance: wrap-safe
    const queueEmpty = this.queue === null || this.queue.length === 0;
    if (relative === 0 && queueEmpty) {
      this.deliver(payload, 0, length);
      return;
    }
    let start = this.nextPosition + relative;
    const end = start + length;
    let from = 0;
    if (start < this.nextPosition) {
      const oldEnd = Math.min(end, this.nextPosition);
      this.compareDelivered(start, payload, 0, oldEnd - start);
      if (end <= this.nextPosition) return;
      from = this.nextPosition - start;
      start = this.nextPosition;
    }
    if (queueEmpty && start === this.nextPosition) {
      this.deliver(payload, from, length);
      return;
    }
    this.enqueue(start, payload, from, length);
    this.drain();
    this.enforceLimits();
  }

  /** End of the session: skip every hole still open and deliver what follows it. */
  finish(): void {
    while (this.queue !== null && this.queue.length > 0) this.skipGap();
  }

  private deliver(data: Buffer, from: number, to: number): void {
    const count = to - from;
    const stored = this.stream.append(data, from, to, this.storeLimit);
    if (stored < count) this.truncated = true;
    this.nextPosition += count;
    this.nextSequence = (this.nextSequence + count) >>> 0;
    this.deliveredBytes += count;
  }

  /** A segment (partly) covers bytes already delivered: compare, and replace them under 'last'. */
  private compareDelivered(start: number, data: Buffer, from: number, to: number): void {
    if (start < this.lastGapEnd) return;
    const offset = start - this.missingBytes;
    if (offset + (to - from) > this.stream.length) return;
    if (this.stream.matches(offset, data, from, to)) return;
    this.anomalies.anomaly('reassembly_overlap_mismatch');
    if (this.options.overlapPolicy === 'last') this.stream.overwrite(offset, data, from, to);
  }

  /** Inserts `data[from, to)` at absolute `start` (≥ nextPosition) under the overlap policy. */
  private enqueue(start: number, data: Buffer, from: number, to: number): void {
    const queue = (this.queue ??= []);
    const end = start + (to - from);
    let index = this.firstEndingAfter(start);
    let mismatch = false;
    if (this.options.overlapPolicy === 'first') {
      let cursor = start;
      while (index < queue.length && queue[index].start < end) {
        const segment = queue[index];
        const segmentEnd = segment.start + segment.data.length;
        if (segment.start > cursor) {
          this.insertPiece(index, cursor, data, from + (cursor - start), from + (segment.start - start));
          index++;
        }
        mismatch = this.differs(segment, start, end, data, from) || mismatch;
        cursor = Math.max(cursor, segmentEnd);
        index++;
      }
      if (cursor < end) this.insertPiece(index, cursor, data, from + (cursor - start), to);
      if (mismatch) this.anomalies.anomaly('reassembly_overlap_mismatch');
      return;
    }
    const replaced: QueuedSegment[] = [];
    const first = index;
    while (index < queue.length && queue[index].start < end) {
      const segment = queue[index];
      const segmentEnd = segment.start + segment.data.length;
      mismatch = this.differs(segment, start, end, data, from) || mismatch;
      if (segment.start < start) replaced.push({ start: segment.start, data: segment.data.subarray(0, start - segment.start) });
      if (segmentEnd > end) replaced.push({ start: end, data: segment.data.subarray(end - segment.start) });
      this.queuedBytes -= segment.data.length;
      index++;
    }
    const piece = { start, data: Buffer.from(data.subarray(from, to)) };
    const pieces = replaced.length === 0 ? [piece] : insertSorted(replaced, piece);
    for (const kept of replaced) this.queuedBytes += kept.data.length;
    this.queuedBytes += piece.data.length;
    queue.splice(first, index - first, ...pieces);
    if (mismatch) this.anomalies.anomaly('reassembly_overlap_mismatch');
  }

  private insertPiece(index: number, start: number, data: Buffer, from: number, to: number): void {
    this.queue!.splice(index, 0, { start, data: Buffer.from(data.subarray(from, to)) });
    this.queuedBytes += to - from;
  }

  /** true when `segment` and the new bytes `data[from…]` at absolute `start..end` overlap and differ. */
  private differs(segment: QueuedSegment, start: number, end: number, data: Buffer, from: number): boolean {
    const overlapStart = Math.max(segment.start, start);
    const overlapEnd = Math.min(segment.start + segment.data.length, end);
    if (overlapEnd <= overlapStart) return false;
    return (
      data.compare(
        segment.data,
        overlapStart - segment.start,
        overlapEnd - segment.start,
        from + (overlapStart - start),
        from + (overlapEnd - start),
      ) !== 0
    );
  }

  /** Index of the first queued segment that ends after `position` (binary search: the queue is sorted and disjoint). */
  private firstEndingAfter(position: number): number {
    const queue = this.queue!;
    let low = 0;
    let high = queue.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const segment = queue[middle];
      if (segment.start + segment.data.length <= position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private drain(): void {
    const queue = this.queue!;
    let taken = 0;
    while (taken < queue.length && queue[taken].start === this.nextPosition) {
      const segment = queue[taken++];
      this.queuedBytes -= segment.data.length;
      this.deliver(segment.data, 0, segment.data.length);
    }
    if (taken > 0) queue.splice(0, taken);
  }

  private enforceLimits(): void {
    const queue = this.queue!;
    while (
      queue.length > 0 &&
      (this.queuedBytes > this.options.maxQueuedBytes || queue.length > this.options.maxQueuedSegments)
    ) {
      this.skipGap();
    }
  }

  /** Gives up on the hole before the first queued segment and delivers what follows it. */
  private skipGap(): void {
    const gap = this.queue![0].start - this.nextPosition;
    this.missingBytes += gap;
    this.nextPosition += gap;
    this.nextSequence = (this.nextSequence + gap) >>> 0;
    this.lastGapEnd = this.nextPosition;
    this.anomalies.anomaly('reassembly_gap');
    this.drain();
  }
}

function insertSorted(segments: QueuedSegment[], piece: QueuedSegment): QueuedSegment[] {
  const out: QueuedSegment[] = [];
  let placed = false;
  for (const segment of segments) {
    if (!placed && piece.start < segment.start) {
      out.push(piece);
      placed = true;
    }
    out.push(segment);
  }
  if (!placed) out.push(piece);
  return out;
}
