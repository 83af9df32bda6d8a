import type { Counters } from '../core/index.ts';
import type { ReplayJob } from './replay-job.ts';

/**
 * The bounded priority queue of replay jobs. Highest priority first, equal priorities in arrival
 * order. When full, the overflow policy `drop_lowest_priority` drops whichever job — a queued one
 * or the newcomer — ranks lowest; each drop bumps `triage.queue.overflow_dropped` and is kept in a
 * bounded log the caller drains with `takeDropped()` (that log's own overflow is counted too, as
 * `triage.queue.dropped_log_overflow`). Nothing leaves silently.
 */
export type QueueOverflowPolicy = 'drop_lowest_priority';

export interface JobQueueOptions {
  capacity: number;
  overflowPolicy: QueueOverflowPolicy;
  /** dropped jobs remembered for takeDropped() */
  droppedLogSize: number;
}

interface Entry {
  job: ReplayJob;
  sequence: number;
}

export class JobQueue {
  private readonly heap: Entry[] = [];
  private readonly dropped: ReplayJob[] = [];
  private sequence = 0;

  constructor(
    private readonly options: JobQueueOptions,
    private readonly counters: Counters,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** Adds a job; returns the job the overflow policy dropped (possibly this one), or null. */
  push(job: ReplayJob): ReplayJob | null {
    const entry = { job, sequence: this.sequence++ };
    if (this.heap.length < this.options.capacity) {
      this.insert(entry);
      this.counters.max('triage.queue.peak', this.heap.length);
      return null;
    }
    const lowest = this.lowestIndex();
    const victim = lowest === -1 || !this.before(entry, this.heap[lowest]!) ? entry : this.removeAt(lowest);
    if (victim !== entry) this.insert(entry);
    this.recordDrop(victim.job);
    return victim.job;
  }

  /** The highest-priority job, or undefined when empty. */
  pop(): ReplayJob | undefined {
    if (this.heap.length === 0) return undefined;
    return this.removeAt(0).job;
  }

  peek(): ReplayJob | undefined {
    return this.heap[0]?.job;
  }

  /** Finds a queued job (to attach a sender or profiles to it while it waits). */
  find(predicate: (job: ReplayJob) => boolean): ReplayJob | undefined {
    return this.heap.find((entry) => predicate(entry.job))?.job;
  }

  /** Jobs the overflow policy dropped since the last call, oldest first. */
  takeDropped(): ReplayJob[] {
    return this.dropped.splice(0, this.dropped.length);
  }

  private recordDrop(job: ReplayJob): void {
    this.counters.add('triage.queue.overflow_dropped');
    this.dropped.push(job);
    if (this.dropped.length > this.options.droppedLogSize) {
      this.dropped.shift();
      this.counters.add('triage.queue.dropped_log_overflow');
    }
  }

  /** a ranks before b: higher priority, or equal and older */
  private before(a: Entry, b: Entry): boolean {
    return a.job.priority > b.job.priority || (a.job.priority === b.job.priority && a.sequence < b.sequence);
  }

  /** The lowest entry is a leaf of the heap: only the second half is searched. */
  private lowestIndex(): number {
    let lowest = -1;
    for (let index = this.heap.length >> 1; index < this.heap.length; index++) {
      if (lowest === -1 || this.before(this.heap[lowest]!, this.heap[index]!)) lowest = index;
    }
    return lowest;
  }

  private insert(entry: Entry): void {
    this.heap.push(entry);
    this.siftUp(this.heap.length - 1);
  }

  private removeAt(index: number): Entry {
    const removed = this.heap[index]!;
    const last = this.heap.pop()!;
    if (index < this.heap.length) {
      this.heap[index] = last;
      this.siftDown(index);
      this.siftUp(index);
    }
    return removed;
  }

  private siftUp(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(this.heap[index]!, this.heap[parent]!)) return;
      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(index: number): void {
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let best = index;
      if (left < this.heap.length && this.before(this.heap[left]!, this.heap[best]!)) best = left;
      if (right < this.heap.length && this.before(this.heap[right]!, this.heap[best]!)) best = right;
      if (best === index) return;
      this.swap(index, best);
      index = best;
    }
  }

  private swap(a: number, b: number): void {
    const held = this.heap[a]!;
    this.heap[a] = this.heap[b]!;
    this.heap[b] = held;
  }
}
