/**
 * A farm of real dummies: the netns driver (real services in network namespaces behind the
 * containment namespace) behind a pool, with the profiles the user declared for it as the
 * catalogue. Needs root; see NetnsDriver.
 */
import type { Profile } from '../config/index.ts';
import { Counters } from '../core/index.ts';
import { NetnsDriver, type NetnsDriverOptions } from '../drivers/index.ts';
import { ProfileCatalogue, VictimPool, type Victim } from '../sandbox/index.ts';
import type { Lease } from './detonator.ts';

export interface NetnsFarm {
  driver: NetnsDriver;
  pool: VictimPool;
  lease: Lease;
  /** the profiles the farm has dummies for */
  catalogue: ProfileCatalogue;
  close(): Promise<void>;
}

export function createNetnsFarm(options: { profiles: readonly Profile[]; driver: Omit<NetnsDriverOptions, 'counters'>; counters?: Counters; warmPerProfile?: number }): NetnsFarm {
  const counters = options.counters ?? new Counters();
  const driver = new NetnsDriver({ ...options.driver, counters });
  const pool = new VictimPool({ driver, counters, settings: { warmPerProfile: options.warmPerProfile ?? 0, dwellMs: 0 } });
  const lease: Lease = async <T>(profile: Profile, use: (victim: Victim) => Promise<T>, signal?: AbortSignal): Promise<T> => {
    const outcome = await pool.withVictim(profile, { ...(signal ? { signal } : {}), dwellMs: 0 }, (victim) => use(victim));
    return outcome.result;
  };
  return {
    driver,
    pool,
    lease,
    catalogue: new ProfileCatalogue(options.profiles),
    async close() {
      await pool.close();
      await driver.close();
    },
  };
}
