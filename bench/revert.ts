/**
 * `npm run bench -- revert [--rounds N] [--json]`: revert-to-answering time of real dummies and
 * their memory per warm dummy, one row per driver. Revert-to-answering is measured from revert()
 * until the service answers a request on a new connection (the dummy is usable again). For netns:
 * with a warm spare (the default: revert switches to a copy already running, target ≤ 50 ms) and
 * without one (kill, discard the upper layer, start the services again). Memory is the PSS of every
 * process of one copy (from /proc/<pid>/smaps_rollup), the kernel's namespaces and veth not counted.
 * Drivers that cannot run here (no root, no qemu) print why and are left out.
 * Rows come from REVERT_BENCH_ROWS: another driver is one more entry.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { NetnsDriver, netnsUnavailableReason, type NetnsVictim } from '../src/drivers/index.ts';
import type { Victim } from '../src/sandbox/index.ts';
import { makeLowerDir, netnsProfile, SERVICE_COMMAND, SERVICE_PORT } from '../test/sandbox/netns-fixture.ts';
import { formatTable, MiB } from './measure.ts';
import { qemuRows } from './revert-qemu.ts';
import { percentile, revertRounds } from './revert-rounds.ts';

export interface RevertRow {
  driver: string;
  /** ms from revert() until the service answered, per round */
  revertToAnsweringMs: number[];
  /** bytes per warm dummy (PSS of its processes), or null when not measurable */
  memoryPerWarmDummyBytes: number | null;
  targetMs: number;
  note: string;
}

export type RevertBench = (rounds: number) => Promise<RevertRow[] | string>;

const PEER = { address: '192.0.2.10', port: 40_000 };

/** ms until a new connection to `port` gets an answer to a request */
export async function answered(victim: Victim, port: number, request: Uint8Array): Promise<void> {
  const connection = await victim.connect(port, PEER);
  if (connection === null) throw new Error(`tcp/${port} refused after revert`);
  const answer = await connection.send(request);
  await connection.close();
  if (connection.greeting.length + answer.length === 0) throw new Error(`tcp/${port} did not answer after revert`);
}

async function netnsRows(rounds: number): Promise<RevertRow[] | string> {
  const reason = netnsUnavailableReason();
  if (reason !== null) return reason;
  const lower = makeLowerDir();
  const profile = netnsProfile();
  const rows: RevertRow[] = [];
  try {
    for (const warmSpare of [true, false]) {
      const driver = new NetnsDriver({ dummies: { [profile.id]: { lowerDir: lower.dir, services: [SERVICE_COMMAND], readyProbe: 'GET / HTTP/1.0\r\n\r\n' } }, warmSpare, answerMs: 2_000, quietMs: 5, greetingMs: 0 });
      try {
        const victim = (await driver.create(profile)) as NetnsVictim;
        const measured = await revertRounds(victim, rounds, SERVICE_PORT, answered);
        rows.push({
          driver: warmSpare ? 'netns (warm spare)' : 'netns (rebuild in place)',
          revertToAnsweringMs: measured.revertToAnsweringMs,
          // a warm dummy with a spare keeps two copies running
          memoryPerWarmDummyBytes: warmSpare ? measured.memoryBytes * 2 : measured.memoryBytes,
          targetMs: 50,
          note: `revert() alone: median ${percentile(measured.revertOnlyMs, 0.5).toFixed(1)} ms; ${measured.pids.length} processes per copy (node service + launcher); load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`,
        });
      } finally {
        await driver.close();
      }
    }
  } finally {
    lower.remove();
  }
  return rows;
}

/** driver name → its rows, or why it cannot run here */
export const REVERT_BENCH_ROWS: Record<string, RevertBench> = {
  netns: netnsRows,
  qemu: (rounds) => qemuRows(rounds, answered),
};

export async function main(args: string[]): Promise<number> {
  const roundsAt = args.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 10;
  const rows: RevertRow[] = [];
  for (const [name, bench] of Object.entries(REVERT_BENCH_ROWS)) {
    const result = await bench(rounds);
    if (typeof result === 'string') console.log(`${name}: skipped: ${result}`);
    else rows.push(...result);
  }
  console.log(
    formatTable(
      ['driver', 'revert→answering median ms', 'p95 ms', 'target ms', 'memory per warm dummy', 'note'],
      rows.map((row) => [
        row.driver,
        percentile(row.revertToAnsweringMs, 0.5).toFixed(1),
        percentile(row.revertToAnsweringMs, 0.95).toFixed(1),
        `≤ ${row.targetMs}`,
        row.memoryPerWarmDummyBytes === null ? '-' : `${(row.memoryPerWarmDummyBytes / MiB).toFixed(1)} MiB`,
        row.note,
      ]),
    ),
  );
  const out = join(dirname(fileURLToPath(import.meta.url)), 'out');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'revert.json'), `${JSON.stringify({ rounds, rows }, null, 2)}\n`);
  if (args.includes('--json')) console.log(JSON.stringify(rows));
  return 0;
}
