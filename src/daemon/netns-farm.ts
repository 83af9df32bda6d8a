/**
 * A farm of real dummies: the netns driver (real services in network namespaces behind the
 * containment namespace) behind a pool, with the profiles the user declared for it as the
 * catalogue. Needs root; see NetnsDriver. From a config file: farm-from-config.ts.
 */
import type { Profile } from '../config/index.ts';
import { Counters } from '../core/index.ts';
import { NetnsDriver, type NetnsDriverOptions } from '../drivers/index.ts';
import { ProfileCatalogue } from '../sandbox/index.ts';
import { createDriverFarm, type DriverFarm, type DriverFarmOptions } from './driver-farm.ts';

export interface NetnsFarm extends DriverFarm<NetnsDriver> {
  /** the profiles the farm has dummies for */
  catalogue: ProfileCatalogue;
}

export function createNetnsFarm(options: DriverFarmOptions & { profiles: readonly Profile[]; driver: Omit<NetnsDriverOptions, 'counters'> }): NetnsFarm {
  const counters = options.counters ?? new Counters();
  const driver = new NetnsDriver({ ...options.driver, counters });
  return { ...createDriverFarm(driver, counters, options), catalogue: new ProfileCatalogue(options.profiles) };
}
