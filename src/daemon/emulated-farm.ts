/**
 * The embedded default farm: the emulated driver with every service emulator and interpreter
 * wired in, behind a pool of warm dummies. This is what `crashtest analyze` uses when nothing else
 * is configured: no root, no images, no services.
 */
import { Counters } from '../core/index.ts';
import { EmulatedDriver } from '../drivers/index.ts';
import { defaultInterpreters, serviceResolver } from '../emulator/index.ts';
import { createDriverFarm, type DriverFarm, type DriverFarmOptions } from './driver-farm.ts';

export type EmulatedFarm = DriverFarm<EmulatedDriver>;

export function createEmulatedFarm(options: DriverFarmOptions = {}): EmulatedFarm {
  const counters = options.counters ?? new Counters();
  const driver = new EmulatedDriver({ services: serviceResolver(), interpreters: defaultInterpreters(), counters });
  return createDriverFarm(driver, counters, options);
}
