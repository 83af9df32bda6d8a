/**
 * A Map with a capacity that forgets the least recently used entry when full: the detector's
 * per-host state lives in these so hostile traffic (a scan of a /8, a flood of new hosts) costs a
 * fixed amount of memory. Every eviction is counted by the owner through `onEvict`.
 */
export class RecencyMap<Key, Value> {
  private readonly entries = new Map<Key, Value>();

  constructor(
    readonly capacity: number,
    private readonly onEvict: (key: Key, value: Value) => void = () => {},
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value, marked as just used. */
  get(key: Key): Value | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** The value without marking it used (for scans that must not reorder). */
  peek(key: Key): Value | undefined {
    return this.entries.get(key);
  }

  set(key: Key, value: Value): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as Key;
      const evicted = this.entries.get(oldest)!;
      this.entries.delete(oldest);
      this.onEvict(oldest, evicted);
    }
  }

  /** The value for `key`, made by `create` when absent. */
  getOrCreate(key: Key, create: () => Value): Value {
    const existing = this.get(key);
    if (existing !== undefined) return existing;
    const value = create();
    this.set(key, value);
    return value;
  }

  delete(key: Key): boolean {
    return this.entries.delete(key);
  }

  values(): IterableIterator<Value> {
    return this.entries.values();
  }

  entriesInOrder(): IterableIterator<[Key, Value]> {
    return this.entries.entries();
  }
}
