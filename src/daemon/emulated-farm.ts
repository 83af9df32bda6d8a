/**
 * The embedded default farm: the emulated driver with every service emulator and interpreter
 * wired in, behind a pool of warm dummies. This is what `crashtest analyze` uses when nothing else
 * is configured: no root, no images, no services.
 */
import type { Profile } from '../config/index.ts';
import { Counters } from '../core/index.ts';
import { EmulatedDriver } from '../drivers/index.ts';
import { defaultInterpreters, serviceResolver } from '../emulator/index.ts';
import { VictimPool, type PoolSettings, type Victim } from '../sandbox/index.ts';
import type { Lease } from './detonator.ts';

export interface EmulatedFarm {
  driver: EmulatedDriver;
  pool: VictimPool;
  lease: Lease;
  close(): Promise<void>;
}

export function createEmulatedFarm(options: { counters?: Counters; warmPerProfile?: number; settings?: Partial<PoolSettings> } = {}): EmulatedFarm {
  const counters = options.counters ?? new Counters();
  const driver = new EmulatedDriver({ services: serviceResolver(), interpreters: defaultInterpreters(), counters });
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
      await pool.close();
      await driver.close();
    },
  };
}
