/**
 * A farm of virtual machines: the qemu driver (clones of the user's golden images, reverted from a
 * snapshot, behind the containment namespace) behind a pool, with the profiles the user declared
 * for it as the catalogue. Needs root and QEMU; see QemuDriver and docs/qemu.md. From a config
 * file: farm-from-config.ts.
 */
import type { Profile } from '../config/index.ts';
import { Counters } from '../core/index.ts';
import { QemuDriver, type QemuDriverOptions } from '../drivers/index.ts';
import { ProfileCatalogue } from '../sandbox/index.ts';
import { createDriverFarm, type DriverFarm, type DriverFarmOptions } from './driver-farm.ts';

export interface QemuFarm extends DriverFarm<QemuDriver> {
  /** the profiles the farm has machines for */
  catalogue: ProfileCatalogue;
}

export function createQemuFarm(options: DriverFarmOptions & { profiles: readonly Profile[]; driver: Omit<QemuDriverOptions, 'counters'> }): QemuFarm {
  const counters = options.counters ?? new Counters();
  const driver = new QemuDriver({ ...options.driver, counters });
  return { ...createDriverFarm(driver, counters, options), catalogue: new ProfileCatalogue(options.profiles) };
}
