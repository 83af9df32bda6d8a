/**
 * The qemu row of `npm run bench -- revert`: the tiny guest of scripts/build-qemu-guest.sh as a
 * qemu dummy, reverted with `loadvm` again and again, timed from revert() until its web server
 * answers a request on a new connection (target ≤ 150 ms). Memory per warm dummy is the PSS of its
 * QEMU process (guest RAM actually touched, the translation cache under TCG, QEMU itself).
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
  const profile = qemuProfile();
  const request = Buffer.from('GET / HTTP/1.0\r\n\r\n');
  const driver = new QemuDriver({ machines: { [profile.id]: qemuMachine() }, goldenDirectory: GOLDEN_DIRECTORY, warmClones: 0, answerMs: 2_000, quietMs: 5, greetingMs: 0 });
  try {
    const victim = await driver.create(profile);
    const accelerator = (await driver.accelerator()).accelerator;
    const times: number[] = [];
    const revertOnly: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await answered(victim, SERVICE_PORT, request); // a lease's worth of use
      const started = performance.now();
      await victim.revert();
      revertOnly.push(performance.now() - started);
      await answered(victim, SERVICE_PORT, request);
      times.push(performance.now() - started);
    }
    return [{
      driver: `qemu (${accelerator}, loadvm)`,
      revertToAnsweringMs: times,
      memoryPerWarmDummyBytes: pssBytes(victim.pid),
      targetMs: 150,
      note: `revert() alone: median ${median(revertOnly).toFixed(1)} ms; ${qemuMachine().memoryMiB} MiB guest; load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`,
    }];
  } finally {
    await driver.close();
  }
}
