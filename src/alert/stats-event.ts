import type { Timestamp } from '../core/index.ts';
import { formatEventTimestamp } from './event-timestamp.ts';

/** Counters nested by the dots of their names: `flow.timeouts.tcp` is `flow.timeouts.tcp` in JSON. */
export interface CounterTree {
  [name: string]: number | CounterTree;
}

/** The sections every stats event has, even when a stage has counted nothing yet. */
export const STATS_SECTIONS = ['capture', 'decoder', 'flow', 'triage', 'pool', 'replay', 'verdict'] as const;

/** The headline totals and the counter each one is read from. */
export const STATS_TOTAL_COUNTERS = {
  detonations: 'replay.detonations',
  signature_hits: 'triage.signature_hits',
  queue_overflow: 'replay.queue_overflow',
} as const;

export type StatsBody = Record<(typeof STATS_SECTIONS)[number], CounterTree> & Record<keyof typeof STATS_TOTAL_COUNTERS, number> & { uptime?: number } & {
  [section: string]: CounterTree | number | undefined;
};

export interface StatsEvent {
  timestamp: string;
  event_type: 'stats';
  stats: StatsBody;
}

export interface StatsEventInput {
  time: Timestamp;
  /** `Counters.snapshot()`: dotted name → value */
  counters: Readonly<Record<string, number>>;
  uptimeSeconds?: number;
  utcOffsetMinutes?: number;
}

/**
 * Builds a stats event from a counters snapshot. The first dotted segment is the section; a name
 * without a dot goes to section `other`. When a name is both a counter and a prefix of others
 * (`a.b` and `a.b.c`), its own value sits under `total` (`a.b.total`), so no count is lost.
 */
export function buildStatsEvent(input: StatsEventInput): StatsEvent {
  const stats: Record<string, CounterTree | number> = {};
  for (const section of STATS_SECTIONS) stats[section] = {};
  for (const name of Object.keys(input.counters).sort()) {
    const path = name.includes('.') ? name.split('.') : ['other', name];
    insertCounter(stats, path, input.counters[name]!);
  }
  for (const [total, counter] of Object.entries(STATS_TOTAL_COUNTERS)) stats[total] = input.counters[counter] ?? 0;
  if (input.uptimeSeconds !== undefined) stats.uptime = input.uptimeSeconds;
  return { timestamp: formatEventTimestamp(input.time, input.utcOffsetMinutes), event_type: 'stats', stats: stats as StatsBody };
}

function insertCounter(root: Record<string, CounterTree | number>, path: string[], value: number): void {
  let node = root as CounterTree;
  for (const segment of path.slice(0, -1)) {
    const child = node[segment];
    if (typeof child === 'number') node[segment] = { total: child };
    else if (child === undefined) node[segment] = {};
    node = node[segment] as CounterTree;
  }
  const leaf = path[path.length - 1]!;
  const existing = node[leaf];
  if (typeof existing === 'object') existing.total = value;
  else node[leaf] = value;
}
