/**
 * `npm run bench -- pool [--driver fake] [--leases N] [--concurrency N] [--warm N] [--json]`
 *   leases+reverts per second through the VictimPool (empty leases one after another, the same with
 *   N in flight, and leases that connect and send one message as a delivery does), and memory per
 *   warm victim (heap + external after a forced GC, and RSS, divided by the warm clones created).
 *   Targets for the emulated driver: ≥ 10,000 leases+reverts/s and ≤ 1 MiB per warm dummy.
 *   The table is printed; the JSON goes to bench/out/pool-<driver>.json.
 * Drivers come from POOL_BENCH_DRIVERS: a factory plus the profile and port it serves, so another
 * driver is one more entry.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Session } from '../src/core/index.ts';
import { detonateOnVictim } from '../src/daemon/index.ts';
import { EmulatedDriver, FakeVictimDriver } from '../src/drivers/index.ts';
import { defaultInterpreters, serviceResolver } from '../src/emulator/index.ts';
import { defaultCatalogue, VictimPool, type VictimDriver } from '../src/sandbox/index.ts';
import { negotiate, ntlmssp, sessionSetup } from '../test/emulator/services/smb/smb-test-client.ts';
import { formatTable, MiB } from './measure.ts';

export interface PoolBenchDriver {
  make(): VictimDriver | Promise<VictimDriver>;
  /** a profile the driver serves */
  profileId: string;
  /** a TCP port of that profile that answers */
  servicePort: number;
  /** what the delivery lease sends there */
  message: Uint8Array;
  /** a benign session to that port, played in full by the detonation leases */
  benign: { session: Session; serviceKind: string };
}

export const POOL_BENCH_DRIVERS: Record<string, PoolBenchDriver> = {
  fake: { make: () => new FakeVictimDriver(), profileId: 'win-xp-sp2', servicePort: 445, message: Buffer.from('ping'), benign: benignSmbLogon() },
  emulated: {
    make: () => new EmulatedDriver({ services: serviceResolver(), interpreters: defaultInterpreters() }),
    profileId: 'win-xp-sp1',
    servicePort: 445,
    message: negotiate(['NT LM 0.12']),
    benign: benignSmbLogon(),
  },
};

/** What every Windows client does first on 445: an SMB1 negotiate, then an NTLMSSP session setup. */
function benignSmbLogon(): { session: Session; serviceKind: string } {
  const turn = (direction: 'to_server' | 'to_client', data: Uint8Array, millisecond: number) => ({
    direction,
    seconds: 1_700_000_000,
    nanoseconds: millisecond * 1_000_000,
    data: Buffer.from(data),
  });
  const stats = { frames: 0, bytes: 0, payloadBytes: 0, missingBytes: 0 };
  return {
    serviceKind: 'microsoft-ds',
    session: {
      id: 1,
      proto: 'tcp',
      client: { ip: '192.168.1.20', port: 49_152, mac: -1, ttl: 128 },
      server: { ip: '192.168.1.10', port: 445, mac: -1, ttl: 128 },
      vlan: -1,
      innerVlan: -1,
      startSeconds: 1_700_000_000,
      startNanoseconds: 0,
      endSeconds: 1_700_000_000,
      endNanoseconds: 10_000_000,
      toServer: stats,
      toClient: stats,
      midstream: false,
      truncated: false,
      endReason: 'fin',
      turns: [turn('to_server', negotiate(['NT LM 0.12']), 1), turn('to_server', sessionSetup(ntlmssp('negotiate')), 3)],
      anomalies: [],
    },
  };
}

export const TARGET_LEASES_PER_SECOND = 10_000;
export const TARGET_BYTES_PER_WARM_VICTIM = MiB;

export interface PoolBenchResult {
  driver: string;
  profileId: string;
  leases: number;
  sequentialLeasesPerSecond: number;
  concurrency: number;
  concurrentLeasesPerSecond: number;
  deliveryLeasesPerSecond: number;
  /** leases that play the benign session's client side, dwell 0 and revert (one JS thread) */
  benignDetonationsPerSecond: number;
  /** the verdict level the benign detonations reached (null: nothing happened, as it should) */
  benignLevel: string | null;
  warmVictims: number;
  heapBytesPerWarmVictim: number;
  rssBytesPerWarmVictim: number;
  counters: Record<string, number>;
}

export async function main(args: string[]): Promise<number> {
  const driverName = stringOption(args, '--driver', 'fake');
  const bench = POOL_BENCH_DRIVERS[driverName];
  if (bench === undefined) {
    console.error(`unknown driver ${driverName}; known: ${Object.keys(POOL_BENCH_DRIVERS).join(', ')}`);
    return 2;
  }
  const result = await runPoolBench(driverName, bench, {
    leases: numberOption(args, '--leases', 100_000),
    concurrency: numberOption(args, '--concurrency', 16),
    warmVictims: numberOption(args, '--warm', 2_000),
  });
  const outPath = join(dirname(fileURLToPath(import.meta.url)), 'out', `pool-${driverName}.json`);
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(result, null, 2)}\n`);
  if (args.includes('--json')) {
    console.log(JSON.stringify(result));
  } else {
    const rate = (value: number): string => Math.round(value).toLocaleString('en');
    console.log(
      formatTable(
        ['pool, driver ' + driverName, 'value', 'target'],
        [
          ['leases+reverts/s, one at a time', rate(result.sequentialLeasesPerSecond), `≥ ${rate(TARGET_LEASES_PER_SECOND)}`],
          [`leases+reverts/s, ${result.concurrency} in flight`, rate(result.concurrentLeasesPerSecond), ''],
          ['leases with connect+send+revert/s', rate(result.deliveryLeasesPerSecond), ''],
          [`benign SMB logons detonated/s (level ${result.benignLevel ?? 'none'})`, rate(result.benignDetonationsPerSecond), ''],
          [`KiB per warm victim (heap, ${result.warmVictims} warm)`, (result.heapBytesPerWarmVictim / 1024).toFixed(1), `≤ ${TARGET_BYTES_PER_WARM_VICTIM / 1024}`],
          ['KiB per warm victim (RSS)', (result.rssBytesPerWarmVictim / 1024).toFixed(1), ''],
        ],
      ),
    );
    console.log(`written ${outPath}`);
  }
  const met = result.sequentialLeasesPerSecond >= TARGET_LEASES_PER_SECOND && result.heapBytesPerWarmVictim <= TARGET_BYTES_PER_WARM_VICTIM;
  return met ? 0 : 1;
}

export async function runPoolBench(
  driverName: string,
  bench: PoolBenchDriver,
  options: { leases: number; concurrency: number; warmVictims: number },
): Promise<PoolBenchResult> {
  const profile = defaultCatalogue().get(bench.profileId);
  const peer = { address: '192.0.2.10', port: 40_000 };
  const driver = await bench.make();
  try {
    const pool = new VictimPool({ driver, settings: { warmPerProfile: options.concurrency, maxVictims: options.concurrency * 2, dwellMs: 0, maxLeasesPerVictim: 1_000_000 } });
    await pool.warm([profile]);
    const empty = async (): Promise<null> => null;
    // warm the JIT before timing
    for (let lease = 0; lease < 1_000; lease++) await pool.withVictim(profile, {}, empty);

    let started = performance.now();
    for (let lease = 0; lease < options.leases; lease++) await pool.withVictim(profile, {}, empty);
    const sequentialLeasesPerSecond = options.leases / ((performance.now() - started) / 1_000);

    started = performance.now();
    const perWorker = Math.ceil(options.leases / options.concurrency);
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        for (let lease = 0; lease < perWorker; lease++) await pool.withVictim(profile, {}, empty);
      }),
    );
    const concurrentLeasesPerSecond = (perWorker * options.concurrency) / ((performance.now() - started) / 1_000);

    const deliveries = Math.max(1, Math.floor(options.leases / 4));
    started = performance.now();
    for (let lease = 0; lease < deliveries; lease++) {
      await pool.withVictim(profile, {}, async (victim, signal) => {
        const connection = await victim.connect(bench.servicePort, peer, { signal });
        await connection?.send(bench.message, { signal });
        await connection?.close();
      });
    }
    const deliveryLeasesPerSecond = deliveries / ((performance.now() - started) / 1_000);

    const detonations = deliveries;
    let benignLevel: string | null = null;
    started = performance.now();
    for (let lease = 0; lease < detonations; lease++) {
      const { result } = await pool.withVictim(profile, {}, (victim) => detonateOnVictim(victim, profile, [bench.benign], { dwellMs: 0 }));
      benignLevel = result.level;
    }
    const benignDetonationsPerSecond = detonations / ((performance.now() - started) / 1_000);
    const counters = pool.counters.snapshot('pool.');
    await pool.close();

    const memory = await measureWarmMemory(driver, profile, options.warmVictims);
    return {
      driver: driverName,
      profileId: profile.id,
      leases: options.leases,
      sequentialLeasesPerSecond,
      concurrency: options.concurrency,
      concurrentLeasesPerSecond,
      deliveryLeasesPerSecond,
      benignDetonationsPerSecond,
      benignLevel,
      warmVictims: options.warmVictims,
      ...memory,
      counters,
    };
  } finally {
    await driver.close();
  }
}

async function measureWarmMemory(
  driver: VictimDriver,
  profile: ReturnType<ReturnType<typeof defaultCatalogue>['get']>,
  count: number,
): Promise<{ heapBytesPerWarmVictim: number; rssBytesPerWarmVictim: number }> {
  const collect = garbageCollector();
  collect();
  const before = process.memoryUsage();
  const pool = new VictimPool({ driver, settings: { warmPerProfile: count, maxVictims: count } });
  await pool.warm([profile]);
  collect();
  const after = process.memoryUsage();
  const heapBytes = after.heapUsed + after.external - (before.heapUsed + before.external);
  const rssBytes = after.rss - before.rss;
  await pool.close();
  return { heapBytesPerWarmVictim: heapBytes / count, rssBytesPerWarmVictim: rssBytes / count };
}

/** global.gc without --expose-gc on the command line (the bench runs under tsx) */
function garbageCollector(): () => void {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  return () => {
    collect();
    collect();
  };
}

function numberOption(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
}

function stringOption(args: string[], name: string, fallback: string): string {
  const index = args.indexOf(name);
  return index >= 0 ? (args[index + 1] ?? fallback) : fallback;
}
