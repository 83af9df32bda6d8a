/**
 * The qemu rows of `npm run bench -- revert`: the tiny guest of scripts/build-qemu-guest.sh as a
 * qemu dummy, reverted again and again, timed from revert() until its web server answers a request
 * on a new connection (target ≤ 150 ms). One row per revert mode: `spare` (the stopped spare
 * restored from the golden RAM image is resumed; like the netns row, each round waits until the
 * spare is ready before the clock starts, as a lease's dwell would) and `loadvm` (in place).
 * Memory per warm dummy is the PSS of every QEMU the dummy keeps (in `spare` mode the one in use
 * and its spare): guest RAM it wrote, the translation cache under TCG, QEMU itself, and its share
 * of the golden RAM image's page cache (PSS splits shared pages among the processes mapping them).
 */
import { cpus, loadavg } from 'node:os';
import { QemuDriver } from '../src/drivers/index.ts';
import type { Victim } from '../src/sandbox/index.ts';
import { GOLDEN_DIRECTORY, qemuMachine, qemuProfile, qemuSkipReason, SERVICE_PORT } from '../test/sandbox/qemu-fixture.ts';
import type { RevertRow } from './revert.ts';
import { percentile, revertRounds } from './revert-rounds.ts';

export async function qemuRows(rounds: number, answered: (victim: Victim, port: number, request: Uint8Array) => Promise<void>): Promise<RevertRow[] | string> {
  const reason = qemuSkipReason();
  if (reason !== null) return reason;
  const rows: RevertRow[] = [];
  for (const revertMode of ['spare', 'loadvm'] as const) rows.push(await modeRow(revertMode, rounds, answered));
  return rows;
}

async function modeRow(revertMode: 'spare' | 'loadvm', rounds: number, answered: (victim: Victim, port: number, request: Uint8Array) => Promise<void>): Promise<RevertRow> {
  const profile = qemuProfile();
  const driver = new QemuDriver({ machines: { [profile.id]: qemuMachine() }, goldenDirectory: GOLDEN_DIRECTORY, warmClones: 0, revertMode, answerMs: 2_000, quietMs: 5, greetingMs: 0 });
  try {
    const victim = await driver.create(profile);
    const accelerator = (await driver.accelerator()).accelerator;
    const measured = await revertRounds(victim, rounds, SERVICE_PORT, answered);
    return {
      driver: `qemu (${accelerator}, ${revertMode === 'spare' ? 'warm spare' : 'loadvm'})`,
      revertToAnsweringMs: measured.revertToAnsweringMs,
      memoryPerWarmDummyBytes: measured.memoryBytes,
      targetMs: 150,
      note: `revert() alone: median ${percentile(measured.revertOnlyMs, 0.5).toFixed(1)} ms; ${measured.pids.length} QEMU per dummy; ${qemuMachine().memoryMiB} MiB guest; load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`,
    };
  } finally {
    await driver.close();
  }
}
