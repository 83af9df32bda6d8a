/**
 * The measured loop both rows of `npm run bench -- revert` share: each round uses the dummy (a
 * request), waits until its warm spare is ready (a lease's dwell stands in for that wait), then
 * times revert() alone and revert() until a new connection is answered. Memory is the PSS of the
 * processes a warm dummy keeps.
 */
import { readFileSync } from 'node:fs';
import type { Victim } from '../src/sandbox/index.ts';

/** a dummy whose revert can be benchmarked: it says when its spare is ready and which processes it runs */
export interface MeasuredVictim extends Victim {
  spareReady(): Promise<void>;
  pids(): Promise<number[]>;
}

export interface RevertRounds {
  /** ms from revert() until the service answered, per round */
  revertToAnsweringMs: number[];
  /** ms revert() itself took, per round */
  revertOnlyMs: number[];
  pids: number[];
  /** PSS of those processes together */
  memoryBytes: number;
}

export function pssBytes(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

export async function revertRounds(
  victim: MeasuredVictim,
  rounds: number,
  port: number,
  answered: (victim: Victim, port: number, request: Uint8Array) => Promise<void>,
): Promise<RevertRounds> {
  const request = Buffer.from('GET / HTTP/1.0\r\n\r\n');
  const revertToAnsweringMs: number[] = [];
  const revertOnlyMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await answered(victim, port, request); // a lease's worth of use
    await victim.spareReady();
    const started = performance.now();
    await victim.revert();
    revertOnlyMs.push(performance.now() - started);
    await answered(victim, port, request);
    revertToAnsweringMs.push(performance.now() - started);
  }
  const pids = await victim.pids();
  return { revertToAnsweringMs, revertOnlyMs, pids, memoryBytes: pids.reduce((sum, pid) => sum + pssBytes(pid), 0) };
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? NaN;
}
