/**
 * The counters registry in Prometheus text format, through prom-client (the format's escaping,
 * HELP/TYPE lines and content type are its job). A fresh registry per scrape: the counters
 * registry is the source of truth, so there is nothing to keep in step between scrapes.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Counters } from '../core/index.ts';
import { VICTIM_STATES, type PoolSnapshot } from '../sandbox/index.ts';

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export interface MetricsInput {
  counters: Counters | Record<string, number>;
  /** the dummy pool, as per-profile, per-state gauges */
  pool?: PoolSnapshot;
  /** other gauges by dotted name (sensor.queue.depth) */
  gauges?: Record<string, number>;
}

/** Counter names that hold a level, not a running total (set with Counters.set or max). */
const GAUGE_NAME = /(^|\.)(active|size|depth|memory_bytes|peak|leases_active|queued|waiters)$|_peak$|\.peak_|\.active_|_active$|_bytes_in_use$/;

/** `flow.memcap_evictions` → `crashtest_flow_memcap_evictions`; other characters become `_`. */
export function prometheusName(dotted: string): string {
  return `crashtest_${dotted.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_+/g, '_')}`;
}

export async function renderMetrics(input: MetricsInput): Promise<string> {
  const registry = new Registry();
  const taken = new Set<string>();
  const values = 'snapshot' in input.counters ? (input.counters as Counters).snapshot() : input.counters;
  const gauges = { ...input.gauges };
  for (const [dotted, value] of Object.entries(values)) {
    if (GAUGE_NAME.test(dotted)) {
      gauges[dotted] ??= value;
      continue;
    }
    const name = `${prometheusName(dotted)}_total`;
    if (taken.has(name)) continue; // two dotted names that differ only in punctuation: the first wins
    taken.add(name);
    new Counter({ name, help: `crashtest counter ${dotted}`, registers: [registry] }).inc(Math.max(0, value));
  }
  for (const [dotted, value] of Object.entries(gauges)) {
    const name = prometheusName(dotted);
    if (taken.has(name)) continue;
    taken.add(name);
    new Gauge({ name, help: `crashtest gauge ${dotted}`, registers: [registry] }).set(value);
  }
  if (input.pool) {
    // leased: being replayed into; dwelling: leased and in its dwell window
    const dummies = new Gauge({ name: 'crashtest_pool_dummies', help: 'dummies per profile and state (leased: being replayed into; dwelling: in the dwell window)', labelNames: ['profile', 'state'], registers: [registry] });
    for (const profile of input.pool.profiles) {
      for (const state of VICTIM_STATES) dummies.set({ profile: profile.profileId, state }, profile[state]);
    }
    new Gauge({ name: 'crashtest_pool_max_dummies', help: 'pool.maxVictims', registers: [registry] }).set(input.pool.maxVictims);
    new Gauge({ name: 'crashtest_pool_waiters', help: 'leases waiting for a dummy', registers: [registry] }).set(input.pool.waiters);
    new Gauge({ name: 'crashtest_pool_leases_active_now', help: 'leases held now', registers: [registry] }).set(input.pool.leasesActive);
  }
  return registry.metrics();
}
