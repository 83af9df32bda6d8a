import type { Counters } from '../core/index.ts';
import type { ReplayJob } from './replay-job.ts';

/**
 * Payload keys already turned into jobs, with the profiles each key is (or was) detonated on, so an
 * identical payload runs once per profile and its later senders join the existing job. Bounded:
 * the key unseen longest is forgotten first (`triage.dedupe.evicted`); a forgotten payload that
 * returns is simply detonated again.
 */
export interface DedupeEntry {
  jobs: ReplayJob[];
  profileIds: Set<string>;
}

export class DedupeIndex {
  // insertion order doubles as recency: a touched key is deleted and re-inserted
  private readonly entries = new Map<string, DedupeEntry>();

  constructor(
    private readonly capacity: number,
    private readonly counters: Counters,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): DedupeEntry | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Undoes `add` for a job that will never run (the queue dropped it), so a later copy can. */
  forget(job: ReplayJob): void {
    const entry = this.entries.get(job.payloadKey);
    if (!entry) return;
    entry.jobs = entry.jobs.filter((kept) => kept !== job);
    entry.profileIds = new Set(entry.jobs.flatMap((kept) => kept.profileIds));
    if (entry.jobs.length === 0) this.entries.delete(job.payloadKey);
  }

  add(job: ReplayJob): void {
    const entry = this.get(job.payloadKey) ?? { jobs: [], profileIds: new Set<string>() };
    entry.jobs.push(job);
    for (const id of job.profileIds) entry.profileIds.add(id);
    this.entries.set(job.payloadKey, entry);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
      this.counters.add('triage.dedupe.evicted');
    }
  }
}
