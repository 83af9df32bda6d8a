/**
 * Differential test against Unicorn: random instruction sequences (see instruction-generator.ts)
 * run in both CPUs one instruction at a time; rip, registers, defined flags and memory must agree
 * after every step. A bounded sample runs in `npm test`; CRASHTEST_DIFF_LONG=1 runs many more.
 * Skips, saying why, where libunicorn2 or koffi is missing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSequence, type Disagreement } from './differential.ts';
import { loadUnicorn } from './unicorn.ts';

const long = process.env.CRASHTEST_DIFF_LONG === '1';
const SEQUENCES = long ? 3000 : 40;
const LENGTH = long ? 40 : 25;
const loaded = loadUnicorn();
const skip = loaded.ok ? false : `differential tests skipped: ${loaded.reason}`;
if (skip) console.log(`# ${skip}`);

for (const mode of [32, 64] as const) {
  test(`${SEQUENCES} random ${mode}-bit sequences of ${LENGTH} instructions agree with Unicorn step by step`, { skip }, () => {
    const disagreements: Disagreement[] = [];
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const found = runSequence(seed * 2654435761 + mode, mode, LENGTH);
      if (found) disagreements.push(found);
    }
    assert.deepEqual(disagreements.slice(0, 5), [], `${disagreements.length} of ${SEQUENCES} sequences disagree`);
  });
}
