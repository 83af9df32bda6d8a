/**
 * The dummy farm a configuration declares (its `dummies` section): the emulated catalogue, netns
 * dummies and qemu machines, or any mix. Used by `crashtest analyze --config` and `crashtest run`.
 *
 * One pool per driver, not one pool for all: the drivers' costs differ by orders of magnitude (an
 * emulated dummy starts in microseconds, a qemu clone holds its RAM and its golden snapshot took
 * minutes to boot), so each gets its own bound (pool.maxVictims, dummies.netns.maxVictims,
 * dummies.qemu.maxVictims) and a burst of cheap leases can never evict an expensive warm clone.
 * One catalogue over all of them, so triage picks candidate profiles the same way whoever serves
 * them; the lease goes to the pool of the driver that declares the profile.
 *
 * Everything that can be checked before a dummy exists is checked here, with the key path: root
 * and the namespace tools (CT_ERR_NETNS_UNAVAILABLE, as the drivers raise it), the image files
 * (CT_ERR_QEMU_UNAVAILABLE), lower directories, profiles a driver cannot be, ids that clash with
 * the built-in catalogue (CT_ERR_CONFIG_INVALID). Nothing is started until the first lease.
 */
import { statSync } from 'node:fs';
import type { FrozenConfig, Profile } from '../config/index.ts';
import { Counters, CrashtestError } from '../core/index.ts';
import { netnsUnavailableReason, validateQemuMachine, type NetnsDummyConfig, type QemuMachineInput } from '../drivers/index.ts';
import { defaultCatalogue, ProfileCatalogue, type PoolSettings, type PoolSnapshot, type VictimDriver } from '../sandbox/index.ts';
import type { Lease } from './detonator.ts';
import type { DriverFarm } from './driver-farm.ts';
import { createEmulatedFarm } from './emulated-farm.ts';
import { createNetnsFarm } from './netns-farm.ts';
import { createQemuFarm } from './qemu-farm.ts';

export interface Farm {
  /** every profile the farm has dummies for, whichever driver serves it */
  readonly catalogue: ProfileCatalogue;
  /** takes a clean dummy of the profile from the pool of the driver that serves it */
  readonly lease: Lease;
  /** one per driver in use, emulated first */
  readonly farms: readonly DriverFarm<VictimDriver>[];
  /** the driver name (`emulated`, `netns`, `qemu`) serving a profile id, undefined when none does */
  driverOf(profileId: string): string | undefined;
  /** the pools together, as the dashboard and /metrics show one farm */
  snapshot(): PoolSnapshot;
  /** closes every pool and driver; the first failure is rethrown after all were tried */
  close(): Promise<void>;
}

export interface FarmFromConfigOptions {
  counters?: Counters;
  /** overrides of the pool settings of every pool (analyze: no warm dummies for a one-shot run) */
  pool?: Partial<PoolSettings>;
  /** why namespaced dummies cannot run here, or null (default: the drivers' own check); tests inject it */
  netnsUnavailableReason?: () => string | null;
  /** qemu driver's notable events (accelerator chosen, golden boot) */
  log?: (line: string) => void;
}

export function createFarmFromConfig(config: FrozenConfig, options: FarmFromConfigOptions = {}): Farm {
  const counters = options.counters ?? new Counters();
  const machines = checkBeforeStart(config, options);
  const farms = buildFarms(config, counters, options, machines);
  const byProfile = new Map<string, DriverFarm<VictimDriver>>();
  for (const { farm, profiles } of farms) for (const profile of profiles) byProfile.set(profile.id, farm);
  const catalogue = new ProfileCatalogue(farms.flatMap((entry) => entry.profiles));
  const lease: Lease = (profile, use, signal) => {
    const farm = byProfile.get(profile.id);
    if (!farm) {
      return Promise.reject(
        new CrashtestError('CT_ERR_PROFILE_UNKNOWN', `no driver of the farm serves profile '${profile.id}' (the dummies section declares ${catalogue.size} profile(s))`, { key: 'dummies', id: profile.id }),
      );
    }
    return farm.lease(profile, use, signal);
  };
  return {
    catalogue,
    lease,
    farms: farms.map((entry) => entry.farm),
    driverOf: (profileId) => byProfile.get(profileId)?.driver.name,
    snapshot: () => mergeSnapshots(farms.map((entry) => entry.farm.pool.snapshot())),
    close: () => closeAll(farms.map((entry) => entry.farm)),
  };
}

/** Everything that can be refused before a driver exists; returns the qemu machines, validated as the driver will. */
function checkBeforeStart(config: FrozenConfig, options: FarmFromConfigOptions): QemuMachineInput[] {
  const dummies = config.dummies;
  const builtIn = dummies.emulated ? defaultCatalogue() : null;
  for (const driver of ['netns', 'qemu'] as const) {
    if (dummies[driver].profiles.length === 0) continue;
    checkIds(builtIn, driver, profilesOf(config, driver));
    const reason = (options.netnsUnavailableReason ?? netnsUnavailableReason)();
    if (reason !== null) throw new CrashtestError('CT_ERR_NETNS_UNAVAILABLE', `dummies.${driver}: ${driver} driver: ${reason}`, { key: `dummies.${driver}` });
  }
  dummies.netns.profiles.forEach((entry, index) => checkDirectory(entry.lowerDir, `dummies.netns.profiles.${index}.lowerDir`));
  return dummies.qemu.profiles.map((entry, index) => {
    const key = `dummies.qemu.profiles.${index}.machine`;
    const machine = validateQemuMachine(structuredClone(entry.machine), key);
    for (const file of ['kernel', 'initrd', 'disk'] as const) {
      const path = machine[file];
      if (path !== undefined && !exists(path)) throw new CrashtestError('CT_ERR_QEMU_UNAVAILABLE', `${key}.${file}: ${path} does not exist`, { file: path, key: `${key}.${file}` });
    }
    return machine as QemuMachineInput;
  });
}

/** One farm per driver in use, emulated first. Drivers hold nothing until their first create, but a refusal still closes what was built. */
function buildFarms(config: FrozenConfig, counters: Counters, options: FarmFromConfigOptions, machines: QemuMachineInput[]): Array<{ farm: DriverFarm<VictimDriver>; profiles: readonly Profile[] }> {
  const { netns, qemu } = config.dummies;
  const settings = { ...config.pool, ...options.pool };
  const warm = (own: number): number => options.pool?.warmPerProfile ?? own;
  const farms: Array<{ farm: DriverFarm<VictimDriver>; profiles: readonly Profile[] }> = [];
  try {
    if (config.dummies.emulated) farms.push({ farm: createEmulatedFarm({ counters, settings, warmPerProfile: warm(config.pool.warmPerProfile) }), profiles: defaultCatalogue().list() });
    const netnsProfiles = profilesOf(config, 'netns');
    if (netnsProfiles.length > 0) {
      const farm = createNetnsFarm({
        profiles: netnsProfiles,
        counters,
        settings: { ...settings, maxVictims: options.pool?.maxVictims ?? netns.maxVictims },
        warmPerProfile: warm(netns.warmPerProfile),
        driver: { dummies: Object.fromEntries(netns.profiles.map((entry) => [entry.profile.id, netnsDummy(entry)])), warmSpare: netns.warmSpare, maxDwellMs: netns.maxDwellMs },
      });
      farms.push({ farm, profiles: netnsProfiles });
      checkSupported(farm.driver, 'netns', netnsProfiles);
    }
    const qemuProfiles = profilesOf(config, 'qemu');
    if (qemuProfiles.length > 0) {
      const farm = createQemuFarm({
        profiles: qemuProfiles,
        counters,
        settings: { ...settings, maxVictims: options.pool?.maxVictims ?? qemu.maxVictims },
        warmPerProfile: warm(qemu.warmPerProfile),
        driver: {
          machines: Object.fromEntries(qemuProfiles.map((profile, index) => [profile.id, machines[index]!])),
          qemuBinary: qemu.qemuBinary,
          qemuImgBinary: qemu.qemuImgBinary,
          accelerator: qemu.accelerator,
          revertMode: qemu.revertMode,
          warmClones: qemu.warmClones,
          maxDwellMs: qemu.maxDwellMs,
          keepFiles: qemu.keepFiles,
          ...(qemu.stateDirectory !== '' ? { stateDirectory: qemu.stateDirectory } : {}),
          ...(qemu.goldenDirectory !== '' ? { goldenDirectory: qemu.goldenDirectory } : {}),
          ...(options.log ? { log: options.log } : {}),
        },
      });
      farms.push({ farm, profiles: qemuProfiles });
      checkSupported(farm.driver, 'qemu', qemuProfiles);
    }
  } catch (error) {
    void closeAll(farms.map((entry) => entry.farm)).catch(() => {});
    throw error;
  }
  return farms;
}

function profilesOf(config: FrozenConfig, driver: 'netns' | 'qemu'): Profile[] {
  // frozen deep-readonly in the config, plain Profile to the drivers (the catalogue freezes it again)
  return config.dummies[driver].profiles.map((entry) => entry.profile as unknown as Profile);
}

/** Closes every farm; the first failure is rethrown after all were tried. */
async function closeAll(farms: readonly DriverFarm<VictimDriver>[]): Promise<void> {
  const results = await Promise.allSettled(farms.map((farm) => farm.close()));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

function netnsDummy(entry: FrozenConfig['dummies']['netns']['profiles'][number]): NetnsDummyConfig {
  return {
    lowerDir: entry.lowerDir,
    services: [...entry.services],
    readyTimeoutMs: entry.readyTimeoutMs,
    ...(entry.hostPaths ? { hostPaths: [...entry.hostPaths] } : {}),
    ...(entry.env ? { env: { ...entry.env } } : {}),
    ...(entry.readyPorts ? { readyPorts: [...entry.readyPorts] } : {}),
    ...(entry.readyProbe !== undefined ? { readyProbe: entry.readyProbe } : {}),
  };
}

/** A real dummy's id may not shadow a built-in profile: which one a verdict names would be ambiguous. */
function checkIds(builtIn: ProfileCatalogue | null, driver: string, profiles: readonly Profile[]): void {
  profiles.forEach((profile, index) => {
    if (builtIn?.has(profile.id)) {
      const key = `dummies.${driver}.profiles.${index}.profile.id`;
      throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${key}: ${profile.id} is a built-in emulated profile; give the real dummy its own id, or set dummies.emulated to false`, { key });
    }
  });
}

/** The driver's own capabilities decide (os, arch): a profile it would decline is a config mistake, said at start. */
function checkSupported(driver: VictimDriver, name: string, profiles: readonly Profile[]): void {
  profiles.forEach((profile, index) => {
    if (driver.supports(profile)) return;
    const key = `dummies.${name}.profiles.${index}.profile`;
    const capabilities = driver.capabilities;
    throw new CrashtestError(
      'CT_ERR_CONFIG_INVALID',
      `${key}: the ${name} driver cannot be a dummy of ${profile.id} (${profile.os.kind}/${profile.arch}): it serves ${capabilities.os.join(', ')} on ${capabilities.arch.join(', ')}`,
      { key },
    );
  });
}

function checkDirectory(path: string, key: string): void {
  let directory = false;
  try {
    directory = statSync(path).isDirectory();
  } catch {
    throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${key}: ${path} does not exist`, { key, file: path });
  }
  if (!directory) throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${key}: ${path} is not a directory`, { key, file: path });
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function mergeSnapshots(snapshots: readonly PoolSnapshot[]): PoolSnapshot {
  return {
    maxVictims: snapshots.reduce((sum, each) => sum + each.maxVictims, 0),
    total: snapshots.reduce((sum, each) => sum + each.total, 0),
    waiters: snapshots.reduce((sum, each) => sum + each.waiters, 0),
    leasesActive: snapshots.reduce((sum, each) => sum + each.leasesActive, 0),
    profiles: snapshots.flatMap((each) => each.profiles),
  };
}
