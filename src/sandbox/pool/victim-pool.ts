/**
 * The dummy pool: clean clones of each profile created ahead ("warm"), leased one lease at a time
 * and reverted after every lease, so no session ever sees what an earlier one left behind.
 *
 * A lease is one call: `withVictim(profile, { signal, dwellMs }, work)` takes a warm victim (or
 * creates one, or waits), runs `work`, lets the victim dwell, collects its observations and, in
 * `finally`, reverts it before it goes back warm. The replay code delivers a session inside `work`
 * and gets the observations back with its result.
 *
 * Limits, each with a named overflow policy and a counter when it fires (nothing waits or fails
 * silently):
 * - `maxVictims` alive at once. Free capacity goes to a new clone; with none, an idle warm clone
 *   of another profile is closed to make room (`pool.evictions`); with nothing idle either, the
 *   `overflowPolicy` decides: `reject` fails at once (`pool.exhausted_rejections`), `wait` queues
 *   the lease in arrival order (`pool.exhausted_waits`) up to `maxWaiters` (beyond it
 *   `pool.exhausted_rejections`) for at most `waitTimeoutMs` (`pool.wait_timeouts`). All three fail
 *   with CT_ERR_POOL_EXHAUSTED, the reason in `details.reason`.
 * - `maxLeasesPerVictim`: a victim that served that many is closed and replaced rather than
 *   reverted (`pool.recycled`), because real machines drift even across snapshot reverts.
 *
 * Recovery escalates in these steps, each counted:
 * 1. revert the victim (`pool.reverts`);
 * 2. the revert fails, or the victim died (on its own, during the lease or while warm): destroy it
 *    and let a fresh clone take its slot (`pool.revert_failures` / `pool.victims_died`, and
 *    `pool.replaced`). A lease whose victim died fails with CT_ERR_VICTIM_DIED, carrying the
 *    observations made up to the death;
 * 3. creating the replacement fails (`pool.create_failures`): the slot stays free and the next
 *    lease or refill tries again; a lease that was waiting for that clone gets the driver's error.
 *
 * Lifecycle: `close()` refuses new leases, fails queued ones with CT_ERR_POOL_CLOSED, waits for the
 * leases in flight and then closes every victim; `destroy(error)` aborts the leases in flight
 * (their signal), fails the queued ones and destroys every victim now. Both are idempotent; after
 * either, `withVictim()` and `warm()` throw CT_ERR_INVALID_STATE. The pool does not own the driver:
 * whoever injected it closes it after the pool.
 */
import { defaultConfig, type Config, type Profile } from '../../config/index.ts';
import { Counters, CrashtestError } from '../../core/index.ts';
import type { Observation, Victim, VictimDriver } from '../victim-driver.ts';
import { watchDwell } from './dwell-watch.ts';
import { linkSignals } from './linked-signal.ts';
import { PoolClosedError, PoolExhaustedError, VictimDiedError, type ExhaustedReason } from './pool-errors.ts';

export type PoolSettings = Config['pool'];

export interface VictimPoolOptions {
  driver: VictimDriver;
  /** the pipeline's counters; the pool makes its own when none is given */
  counters?: Counters;
  /** overrides of the `pool` config section; the rest are its defaults */
  settings?: Partial<PoolSettings>;
}

export interface LeaseOptions {
  signal?: AbortSignal;
  /** virtual ms the victim is watched after `work` returns; default `settings.dwellMs`, 0 skips the dwell */
  dwellMs?: number;
}

/** `work` gets the leased victim and the lease's signal (the caller's, or the pool being destroyed). */
export type LeaseWork<T> = (victim: Victim, signal: AbortSignal) => Promise<T>;

export interface LeaseOutcome<T> {
  result: T;
  /** everything the victim did during the lease and its dwell, oldest first */
  observations: readonly Observation[];
  victimId: string;
  profileId: string;
  /** the dwell that was applied, virtual ms */
  dwellMs: number;
}

/**
 * `leased`: taken by a lease and being replayed into; `dwelling`: leased and inside a dwell window
 * (the lease's `dwell()` is running), watched for late behaviour.
 */
export const VICTIM_STATES = ['creating', 'warm', 'leased', 'dwelling', 'reverting', 'closing'] as const;
export type VictimState = (typeof VICTIM_STATES)[number];

export type ProfilePoolSnapshot = { profileId: string } & Record<VictimState, number>;

export interface PoolSnapshot {
  maxVictims: number;
  /** victims alive or on their way, in every state */
  total: number;
  waiters: number;
  leasesActive: number;
  profiles: ProfilePoolSnapshot[];
}

interface PoolEntry {
  readonly profile: Profile;
  state: VictimState;
  /** null while it is being created */
  victim: Victim | null;
  leases: number;
  /** dwell() calls running on it (the state is dwelling while above zero) */
  dwells: number;
}

interface ProfileSlots {
  readonly profile: Profile;
  /** idle clean victims, most recently reverted last (taken first: its pages are the hottest) */
  readonly warm: PoolEntry[];
  readonly counts: Record<VictimState, number>;
  /** creations under way for the warm set */
  warming: number;
}

interface Waiter {
  readonly profile: Profile;
  readonly signal: AbortSignal | undefined;
  resolve(entry: PoolEntry): void;
  reject(error: unknown): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  onAbort: (() => void) | undefined;
}

type PoolState = 'open' | 'closing' | 'destroyed';

export class VictimPool {
  readonly counters: Counters;
  readonly settings: Readonly<PoolSettings>;
  private readonly driver: VictimDriver;
  private readonly entries = new Set<PoolEntry>();
  private readonly slots = new Map<string, ProfileSlots>();
  private readonly waiters: Waiter[] = [];
  /** aborted by destroy(): reaches every lease, create and revert in flight */
  private readonly lifecycle = new AbortController();
  private state: PoolState = 'open';
  private closing: Promise<void> | undefined;
  /** entries in any state but warm; close() waits for it to reach zero */
  private busy = 0;
  private leasesActive = 0;
  private idleListeners: (() => void)[] = [];
  private settling = false;
  private settleAgain = false;

  constructor(options: VictimPoolOptions) {
    this.driver = options.driver;
    this.counters = options.counters ?? new Counters();
    this.settings = Object.freeze({ ...defaultConfig().pool, ...options.settings });
  }

  get closed(): boolean {
    return this.state !== 'open';
  }

  /**
   * Keeps these profiles warm from now on and creates their clones up to `warmPerProfile` (as far
   * as `maxVictims` allows); resolves when they are warm. Throws the first create error, so a
   * driver that cannot make a profile stops start-up instead of failing every lease later.
   */
  async warm(profiles: readonly Profile[], options: { signal?: AbortSignal } = {}): Promise<void> {
    this.assertOpen('warm');
    options.signal?.throwIfAborted();
    for (const profile of profiles) this.assertSupported(profile);
    const link = linkSignals(options.signal, this.lifecycle.signal);
    try {
      const creations: Promise<unknown>[] = [];
      for (const profile of profiles) {
        const slots = this.slotsOf(profile);
        let have = slots.warm.length + slots.warming;
        while (have < this.settings.warmPerProfile && this.entries.size < this.settings.maxVictims) {
          creations.push(this.startWarmCreate(slots, link.signal));
          have++;
        }
      }
      const failures = (await Promise.all(creations)).filter((outcome) => outcome !== null);
      if (failures.length > 0) throw failures[0];
    } finally {
      link.dispose();
    }
  }

  /** Leases a clean victim of `profile` for `work`, dwells, collects observations, and always reverts. */
  async withVictim<T>(profile: Profile, options: LeaseOptions, work: LeaseWork<T>): Promise<LeaseOutcome<T>> {
    this.assertOpen('withVictim');
    options.signal?.throwIfAborted();
    this.assertSupported(profile);
    const entry = await this.acquire(profile, options.signal);
    entry.leases++;
    this.counters.add('pool.leases');
    this.counters.set('pool.leases_active', ++this.leasesActive);
    const link = linkSignals(options.signal, this.lifecycle.signal);
    try {
      return await this.runLease(entry, options.dwellMs ?? this.settings.dwellMs, link.signal, work);
    } finally {
      link.dispose();
      this.counters.set('pool.leases_active', --this.leasesActive);
      await this.release(entry);
    }
  }

  /** Per profile, how many victims are in each state (a leased one in its dwell window counts as dwelling); for the dashboard. */
  snapshot(): PoolSnapshot {
    const profiles = [...this.slots.values()].map((slots) => ({ profileId: slots.profile.id, ...slots.counts }));
    return { maxVictims: this.settings.maxVictims, total: this.entries.size, waiters: this.waiters.length, leasesActive: this.leasesActive, profiles };
  }

  /** Drains: no new leases, queued ones fail, leases in flight finish, then every victim closes. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    if (this.state === 'destroyed') return Promise.resolve();
    this.state = 'closing';
    this.rejectWaiters(new PoolClosedError('the dummy pool was closed while this lease waited for a dummy'));
    this.closing = this.drain();
    return this.closing;
  }

  /** Aborts now: leases in flight see their signal abort, queued ones fail, every victim is destroyed. */
  destroy(error?: Error): void {
    if (this.state === 'destroyed') return;
    this.state = 'destroyed';
    this.lifecycle.abort(error ?? new PoolClosedError('the dummy pool was destroyed'));
    this.rejectWaiters(new PoolClosedError('the dummy pool was destroyed while this lease waited for a dummy', { cause: error }));
    for (const entry of this.entries) entry.victim?.destroy(error);
    this.entries.clear();
    this.slots.clear();
    this.busy = 0;
    this.notifyIdle();
  }

  private async runLease<T>(entry: PoolEntry, dwellMs: number, signal: AbortSignal, work: LeaseWork<T>): Promise<LeaseOutcome<T>> {
    const victim = entry.victim!;
    const watched = watchDwell(victim, {
      begin: () => {
        if (entry.dwells++ === 0 && entry.state === 'leased') this.setState(entry, 'dwelling');
      },
      end: () => {
        if (--entry.dwells === 0 && entry.state === 'dwelling') this.setState(entry, 'leased');
      },
    });
    let result: T;
    try {
      result = await work(watched, signal);
      // a dead victim has no clock to advance; its death is the news
      if (dwellMs > 0 && !victim.died) await watched.dwell(dwellMs, { signal });
    } catch (error) {
      throw victim.died ? this.diedError(entry, victim, error) : error;
    }
    if (victim.died) throw this.diedError(entry, victim);
    return { result, observations: [...victim.observations()], victimId: victim.id, profileId: entry.profile.id, dwellMs };
  }

  private diedError(entry: PoolEntry, victim: Victim, cause?: unknown): VictimDiedError {
    let observations: readonly Observation[] = [];
    try {
      observations = [...victim.observations()];
    } catch {
      // a driver may refuse to read a dead victim; the death is still reported
    }
    return new VictimDiedError(
      `dummy ${victim.id} (profile ${entry.profile.id}) died during the lease; it is replaced by a clean one`,
      { victimId: victim.id, profileId: entry.profile.id, observations },
      { cause },
    );
  }

  /** A warm victim at once when nobody queues ahead; otherwise through the queue and its policy. */
  private acquire(profile: Profile, signal: AbortSignal | undefined): Promise<PoolEntry> {
    const slots = this.slotsOf(profile);
    if (this.waiters.length === 0) {
      const entry = this.takeWarm(slots);
      if (entry !== null) {
        this.settle();
        return Promise.resolve(entry);
      }
    }
    return new Promise<PoolEntry>((resolve, reject) => {
      const waiter: Waiter = { profile, signal, resolve, reject, timer: undefined, onAbort: undefined };
      this.waiters.push(waiter);
      this.settle();
      if (this.waiters.includes(waiter)) this.overflow(waiter);
    });
  }

  /** The lease could not be served now: the overflow policy decides whether it waits. */
  private overflow(waiter: Waiter): void {
    const { overflowPolicy, maxWaiters, maxVictims, waitTimeoutMs } = this.settings;
    if (overflowPolicy === 'reject' || this.waiters.length > maxWaiters) {
      const reason: ExhaustedReason = overflowPolicy === 'reject' ? 'reject' : 'max_waiters';
      this.removeWaiter(waiter);
      this.counters.add('pool.exhausted_rejections');
      const why = reason === 'reject' ? 'overflow policy reject' : `${maxWaiters} leases already wait (pool.maxWaiters)`;
      waiter.reject(
        new PoolExhaustedError(`no dummy for ${waiter.profile.id}: all ${maxVictims} are busy (pool.maxVictims), ${why}`, {
          reason,
          key: reason === 'reject' ? 'pool.overflowPolicy' : 'pool.maxWaiters',
          profileId: waiter.profile.id,
        }),
      );
      return;
    }
    this.counters.add('pool.exhausted_waits');
    waiter.timer = setTimeout(() => {
      this.removeWaiter(waiter);
      this.counters.add('pool.wait_timeouts');
      waiter.reject(
        new PoolExhaustedError(`no dummy for ${waiter.profile.id} within ${waitTimeoutMs} ms (pool.waitTimeoutMs): all ${maxVictims} stayed busy`, {
          reason: 'wait_timeout',
          key: 'pool.waitTimeoutMs',
          profileId: waiter.profile.id,
        }),
      );
    }, waitTimeoutMs);
    if (waiter.signal !== undefined) {
      const signal = waiter.signal;
      waiter.onAbort = () => {
        this.removeWaiter(waiter);
        this.counters.add('pool.wait_aborts');
        waiter.reject(signal.reason);
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
  }

  /** Hands out capacity: queued leases first, in order, then the warm set's refill. Never re-entered. */
  private settle(): void {
    if (this.settling) {
      this.settleAgain = true;
      return;
    }
    this.settling = true;
    try {
      do {
        this.settleAgain = false;
        this.dispatch();
        this.refill();
      } while (this.settleAgain);
    } finally {
      this.settling = false;
    }
    this.notifyIdle();
  }

  private dispatch(): void {
    while (this.state === 'open' && this.waiters.length > 0) {
      const waiter = this.waiters[0]!;
      // when the head cannot be served there is nothing warm anywhere (it would have been evicted)
      // and no free capacity, so nobody behind it can be served either
      if (!this.serve(waiter)) return;
    }
  }

  /** Serves the waiter from the warm set, free capacity, or by evicting a warm clone of another profile. */
  private serve(waiter: Waiter): boolean {
    const slots = this.slotsOf(waiter.profile);
    const warm = this.takeWarm(slots);
    if (warm !== null) {
      this.removeWaiter(waiter);
      waiter.resolve(warm);
      return true;
    }
    if (this.entries.size < this.settings.maxVictims) {
      this.removeWaiter(waiter);
      void this.createForWaiter(slots, waiter);
      return true;
    }
    const evictable = this.evictionCandidate();
    if (evictable === null) return false;
    this.removeWaiter(waiter);
    this.counters.add('pool.evictions');
    void this.evictFor(evictable, slots, waiter);
    return true;
  }

  private async evictFor(evicted: PoolEntry, slots: ProfileSlots, waiter: Waiter): Promise<void> {
    await this.closeVictim(evicted);
    // the freed slot passes straight to the waiter: settling first would let the refill take it
    this.removeEntry(evicted);
    const state = this.currentState();
    if (state === 'open') {
      void this.createForWaiter(slots, waiter);
      return;
    }
    waiter.reject(new PoolClosedError(`the dummy pool was ${state === 'closing' ? 'closed' : 'destroyed'} while this lease waited for a dummy`));
    this.settle();
  }

  /** The warm clone of the profile with the most warm clones: evicting it costs variety least. */
  private evictionCandidate(): PoolEntry | null {
    let best: ProfileSlots | null = null;
    for (const slots of this.slots.values()) {
      if (slots.warm.length > 0 && (best === null || slots.warm.length > best.warm.length)) best = slots;
    }
    if (best === null) return null;
    const entry = best.warm.shift()!;
    return entry;
  }

  private async createForWaiter(slots: ProfileSlots, waiter: Waiter): Promise<void> {
    const entry = this.addEntry(slots);
    const link = linkSignals(waiter.signal, this.lifecycle.signal);
    try {
      await this.createVictim(entry, link.signal);
    } catch (error) {
      waiter.reject(error);
      this.settle();
      return;
    } finally {
      link.dispose();
    }
    if (waiter.signal?.aborted) {
      // the driver finished despite the abort: the clone is still good for the next lease
      this.offerWarm(entry);
      waiter.reject(waiter.signal.reason);
      return;
    }
    this.setState(entry, 'leased');
    waiter.resolve(entry);
  }

  /** Tops every profile in use up to `warmPerProfile`, from free capacity only, while nobody queues. */
  private refill(): void {
    if (this.state !== 'open' || this.waiters.length > 0) return;
    for (const slots of this.slots.values()) {
      let have = slots.warm.length + slots.warming;
      while (have < this.settings.warmPerProfile && this.entries.size < this.settings.maxVictims) {
        void this.startWarmCreate(slots, this.lifecycle.signal);
        have++;
      }
    }
  }

  /** Resolves with the creation error (counted, not thrown: background refills have nobody to throw to). */
  private async startWarmCreate(slots: ProfileSlots, signal: AbortSignal): Promise<unknown> {
    const entry = this.addEntry(slots);
    slots.warming++;
    try {
      await this.createVictim(entry, signal);
    } catch (error) {
      // no refill here: a driver that fails every create would otherwise be retried in a loop;
      // the next lease or release tries again
      this.dispatch();
      this.notifyIdle();
      return error;
    } finally {
      slots.warming--;
    }
    if (this.state === 'closing') await this.closeEntry(entry);
    else this.offerWarm(entry);
    return null;
  }

  private async createVictim(entry: PoolEntry, signal: AbortSignal): Promise<void> {
    let victim: Victim;
    try {
      victim = await this.driver.create(entry.profile, { signal });
    } catch (error) {
      this.counters.add('pool.create_failures');
      this.removeEntry(entry);
      throw error;
    }
    if (this.state === 'destroyed') {
      victim.destroy();
      throw new PoolClosedError('the dummy pool was destroyed while a dummy was being created');
    }
    this.counters.add('pool.created');
    entry.victim = victim;
  }

  /** After a lease: revert and back to warm, or replace (see the recovery steps above). Never throws. */
  private async release(entry: PoolEntry): Promise<void> {
    if (this.state === 'destroyed') return;
    const victim = entry.victim!;
    if (victim.died) return this.replace(entry, 'pool.victims_died');
    if (this.state === 'closing') return this.closeEntry(entry);
    if (entry.leases >= this.settings.maxLeasesPerVictim) {
      this.counters.add('pool.recycled');
      return this.closeEntry(entry);
    }
    this.setState(entry, 'reverting');
    try {
      await victim.revert({ signal: this.lifecycle.signal });
    } catch (error) {
      if (this.currentState() === 'destroyed') return;
      return this.replace(entry, 'pool.revert_failures', error);
    }
    this.counters.add('pool.reverts');
    // the pool may have been closed or destroyed while the revert ran
    const state = this.currentState();
    if (state === 'destroyed') return;
    if (victim.died) return this.replace(entry, 'pool.victims_died');
    if (state === 'closing') return this.closeEntry(entry);
    this.offerWarm(entry);
  }

  /** Read through a call so TypeScript does not carry a narrowing across an await. */
  private currentState(): PoolState {
    return this.state;
  }

  /** Destroys a broken victim now; its slot goes to a waiter or the refill (a fresh clone). */
  private replace(entry: PoolEntry, why: 'pool.victims_died' | 'pool.revert_failures', error?: unknown): void {
    this.counters.add(why);
    this.counters.add('pool.replaced');
    entry.victim?.destroy(error instanceof Error ? error : undefined);
    this.removeEntry(entry);
    this.settle();
  }

  /** Takes the most recently reverted warm victim; ones that died while idle are replaced on the way. */
  private takeWarm(slots: ProfileSlots): PoolEntry | null {
    while (slots.warm.length > 0) {
      const entry = slots.warm.pop()!;
      if (entry.victim!.died) {
        this.counters.add('pool.victims_died');
        this.counters.add('pool.replaced');
        entry.victim!.destroy();
        this.removeEntry(entry);
        continue;
      }
      this.setState(entry, 'leased');
      return entry;
    }
    return null;
  }

  private offerWarm(entry: PoolEntry): void {
    this.setState(entry, 'warm');
    this.slotsOf(entry.profile).warm.push(entry);
    this.settle();
  }

  /** Closes a victim gracefully; it keeps its slot until it is gone, so maxVictims bounds real resources. */
  private async closeEntry(entry: PoolEntry): Promise<void> {
    await this.closeVictim(entry);
    this.removeEntry(entry);
    this.settle();
  }

  private async closeVictim(entry: PoolEntry): Promise<void> {
    this.setState(entry, 'closing');
    try {
      await entry.victim?.close();
    } catch (error) {
      entry.victim?.destroy(error instanceof Error ? error : undefined);
    }
  }

  private async drain(): Promise<void> {
    if (this.busy > 0) await new Promise<void>((resolve) => this.idleListeners.push(resolve));
    if (this.state === 'destroyed') return;
    const idle = [...this.entries];
    for (const slots of this.slots.values()) slots.warm.length = 0;
    await Promise.all(idle.map((entry) => this.closeEntry(entry)));
  }

  private slotsOf(profile: Profile): ProfileSlots {
    let slots = this.slots.get(profile.id);
    if (slots === undefined) {
      slots = { profile, warm: [], counts: { creating: 0, warm: 0, leased: 0, dwelling: 0, reverting: 0, closing: 0 }, warming: 0 };
      this.slots.set(profile.id, slots);
    }
    return slots;
  }

  private addEntry(slots: ProfileSlots): PoolEntry {
    const entry: PoolEntry = { profile: slots.profile, state: 'creating', victim: null, leases: 0, dwells: 0 };
    this.entries.add(entry);
    slots.counts.creating++;
    this.busy++;
    return entry;
  }

  private removeEntry(entry: PoolEntry): void {
    if (!this.entries.delete(entry)) return;
    const slots = this.slots.get(entry.profile.id);
    if (slots !== undefined) slots.counts[entry.state]--;
    if (entry.state !== 'warm') this.busy--;
  }

  private setState(entry: PoolEntry, next: VictimState): void {
    if (!this.entries.has(entry)) return;
    const counts = this.slotsOf(entry.profile).counts;
    counts[entry.state]--;
    counts[next]++;
    if (entry.state === 'warm') this.busy++;
    if (next === 'warm') this.busy--;
    entry.state = next;
  }

  private removeWaiter(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }

  private rejectWaiters(error: Error): void {
    for (const waiter of [...this.waiters]) {
      this.removeWaiter(waiter);
      waiter.reject(error);
    }
  }

  private notifyIdle(): void {
    if (this.busy > 0 && this.state !== 'destroyed') return;
    const listeners = this.idleListeners;
    this.idleListeners = [];
    for (const listener of listeners) listener();
  }

  /** Checked before the profile joins the warm set, which would otherwise retry a hopeless create after every lease. */
  private assertSupported(profile: Profile): void {
    if (!this.driver.supports(profile)) {
      throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `victim driver ${this.driver.name} cannot be a dummy of ${profile.id} (${profile.os.kind}/${profile.arch})`, {
        profileId: profile.id,
      });
    }
  }

  private assertOpen(method: string): void {
    if (this.state !== 'open') {
      throw new CrashtestError('CT_ERR_INVALID_STATE', `VictimPool.${method}() after the pool was ${this.state === 'closing' ? 'closed' : 'destroyed'}`);
    }
  }
}
