import type { Counters } from '../core/index.ts';

/**
 * Remembers, per source address, the distinct host/port targets it reached recently (capture
 * time), so a payload from a host that is sweeping the network ranks higher. Bounded twice: the
 * sources tracked (the longest-unseen is forgotten first, counted as
 * `triage.scan_tracker.sources_evicted`) and the targets kept per source (once a source is past
 * the threshold, more targets change nothing).
 */
export interface ScanTrackerOptions {
  windowSeconds: number;
  /** distinct targets within the window from which a source counts as scanning */
  threshold: number;
  maxSources: number;
}

export class ScanTracker {
  // insertion order doubles as recency: a touched source is deleted and re-inserted
  private readonly sources = new Map<string, Map<string, number>>();
  private readonly maxTargetsPerSource: number;

  constructor(
    private readonly options: ScanTrackerOptions,
    private readonly counters: Counters,
  ) {
    this.maxTargetsPerSource = Math.max(4, options.threshold * 2);
  }

  /** Records one contact and returns the source's distinct targets within the window, this one included. */
  observe(source: string, target: string, seconds: number): number {
    let targets = this.sources.get(source);
    if (targets) this.sources.delete(source);
    else {
      targets = new Map();
      if (this.sources.size >= this.options.maxSources) {
        const oldest = this.sources.keys().next().value;
        if (oldest !== undefined) this.sources.delete(oldest);
        this.counters.add('triage.scan_tracker.sources_evicted');
      }
    }
    this.sources.set(source, targets);
    const horizon = seconds - this.options.windowSeconds;
    for (const [known, lastSeen] of targets) if (lastSeen < horizon) targets.delete(known);
    targets.delete(target);
    targets.set(target, seconds);
    if (targets.size > this.maxTargetsPerSource) {
      const oldest = targets.keys().next().value;
      if (oldest !== undefined) targets.delete(oldest);
    }
    return targets.size;
  }

  isScanning(targetCount: number): boolean {
    return targetCount >= this.options.threshold;
  }
}
