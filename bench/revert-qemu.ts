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
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { QemuDriver, type QemuVictim } from '../src/drivers/index.ts';
import { GOLDEN_DIRECTORY, qemuMachine, qemuProfile, qemuSkipReason, SERVICE_PORT } from '../test/sandbox/qemu-fixture.ts';
import type { RevertRow } from './revert.ts';

function pssBytes(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

export async function qemuRows(rounds: number, answered: (victim: QemuVictim, port: number, request: Uint8Array) => Promise<void>): Promise<RevertRow[] | string> {
  const reason = qemuSkipReason();
  if (reason !== null) return reason;
  const rows: RevertRow[] = [];
  for (const revertMode of ['spare', 'loadvm'] as const) rows.push(await modeRow(revertMode, rounds, answered));
  return rows;
}

async function modeRow(revertMode: 'spare' | 'loadvm', rounds: number, answered: (victim: QemuVictim, port: number, request: Uint8Array) => Promise<void>): Promise<RevertRow> {
  const profile = qemuProfile();
  const request = Buffer.from('GET / HTTP/1.0\r\n\r\n');
  const driver = new QemuDriver({ machines: { [profile.id]: qemuMachine() }, goldenDirectory: GOLDEN_DIRECTORY, warmClones: 0, revertMode, answerMs: 2_000, quietMs: 5, greetingMs: 0 });
  try {
    const victim = await driver.create(profile);
    const accelerator = (await driver.accelerator()).accelerator;
    const times: number[] = [];
    const revertOnly: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await answered(victim, SERVICE_PORT, request); // a lease's worth of use
      await victim.spareReady();
      const started = performance.now();
      await victim.revert();
      revertOnly.push(performance.now() - started);
      await answered(victim, SERVICE_PORT, request);
      times.push(performance.now() - started);
    }
    const pids = await victim.pids();
    return {
      driver: `qemu (${accelerator}, ${revertMode === 'spare' ? 'warm spare' : 'loadvm'})`,
      revertToAnsweringMs: times,
      memoryPerWarmDummyBytes: pids.reduce((sum, pid) => sum + pssBytes(pid), 0),
      targetMs: 150,
      note: `revert() alone: median ${median(revertOnly).toFixed(1)} ms; ${pids.length} QEMU per dummy; ${qemuMachine().memoryMiB} MiB guest; load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`,
    };
  } finally {
    await driver.close();
  }
}
