/**
 * The counters registry: every bounded resource, anomaly and overflow in crashtest bumps a named
 * counter here, so nothing is dropped silently. Names are dotted (`decoder.ipv4.truncated`,
 * `flow.memcap_evictions`). A `Counters` instance is owned by one pipeline; tests make their own.
 */
export class Counters {
  // one mutable cell per name: `add` is a single hash lookup, and it runs several times per packet
  private readonly values = new Map<string, { value: number }>();

  add(name: string, amount = 1): void {
    const cell = this.values.get(name);
    if (cell === undefined) this.values.set(name, { value: amount });
    else cell.value += amount;
  }

  /** For gauges: the latest value wins. */
  set(name: string, value: number): void {
    const cell = this.values.get(name);
    if (cell === undefined) this.values.set(name, { value });
    else cell.value = value;
  }

  /** Keeps the highest value seen (peak memory, peak flows). */
  max(name: string, value: number): void {
    const cell = this.values.get(name);
    if (cell === undefined) this.values.set(name, { value });
    else if (value > cell.value) cell.value = value;
  }

  get(name: string): number {
    return this.values.get(name)?.value ?? 0;
  }

  /** A sorted plain-object copy, for JSON output and tests. */
  snapshot(prefix = ''): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of [...this.values.keys()].sort()) {
      if (name.startsWith(prefix)) out[name] = this.values.get(name)!.value;
    }
    return out;
  }

  reset(): void {
    this.values.clear();
  }
}
