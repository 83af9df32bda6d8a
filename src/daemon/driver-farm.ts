/**
 * One victim driver behind one pool, and the lease the analysis takes dummies with. Every farm is
 * built this way (emulated-farm.ts, netns-farm.ts, qemu-farm.ts); farm-from-config.ts puts the
 * ones a configuration declares side by side. The detonator dwells on the victim itself, so the
 * pool's own dwell is off.
 */
import type { Profile } from '../config/index.ts';
import type { Counters } from '../core/index.ts';
import { VictimPool, type PoolSettings, type Victim, type VictimDriver } from '../sandbox/index.ts';
import type { Lease } from './detonator.ts';

export interface DriverFarm<D extends VictimDriver = VictimDriver> {
  driver: D;
  pool: VictimPool;
  lease: Lease;
  /** closes the pool (reverting and closing every dummy), then the driver */
  close(): Promise<void>;
}

export interface DriverFarmOptions {
  counters?: Counters;
  /** clean dummies kept created ahead per profile (default 0) */
  warmPerProfile?: number;
  /** the rest of the pool's settings (default: the `pool` config section's defaults) */
  settings?: Partial<PoolSettings>;
}

export function createDriverFarm<D extends VictimDriver>(driver: D, counters: Counters, options: DriverFarmOptions = {}): DriverFarm<D> {
  const pool = new VictimPool({ driver, counters, settings: { ...options.settings, warmPerProfile: options.warmPerProfile ?? 0, dwellMs: 0 } });
  const lease: Lease = async <T>(profile: Profile, use: (victim: Victim) => Promise<T>, signal?: AbortSignal): Promise<T> => {
    const outcome = await pool.withVictim(profile, { ...(signal ? { signal } : {}), dwellMs: 0 }, (victim) => use(victim));
    return outcome.result;
  };
  return {
    driver,
    pool,
    lease,
    async close() {
      try {
        await pool.close();
      } finally {
        await driver.close();
      }
    },
  };
}
