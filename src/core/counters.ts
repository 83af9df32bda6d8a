/**
 * The counters registry: every bounded resource, anomaly and overflow in crashtest bumps a named
 * counter here, so nothing is dropped silently. Names are dotted (`decoder.ipv4.truncated`,
 * `flow.memcap_evictions`). A `Counters` instance is owned by one pipeline; tests make their own.
 */
export class Counters {
  private readonly values = new Map<string, number>();

  add(name: string, amount = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + amount);
  }

  /** For gauges: the latest value wins. */
  set(name: string, value: number): void {
    this.values.set(name, value);
  }

  /** Keeps the highest value seen (peak memory, peak flows). */
  max(name: string, value: number): void {
    const current = this.values.get(name);
    if (current === undefined || value > current) this.values.set(name, value);
  }

  get(name: string): number {
    return this.values.get(name) ?? 0;
  }

  /** A sorted plain-object copy, for JSON output and tests. */
  snapshot(prefix = ''): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of [...this.values.keys()].sort()) {
      if (name.startsWith(prefix)) out[name] = this.values.get(name)!;
    }
    return out;
  }

  reset(): void {
    this.values.clear();
  }
}
