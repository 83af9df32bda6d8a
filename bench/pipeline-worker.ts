/**
 * Runs in its own process so its peak memory is its own: read+decode+flow+reassembly of one capture
 * through the daemon's sessions job (exactly what `crashtest sessions` does, minus printing), then
 * one JSON line with the numbers on stdout.
 *
 *   node --import tsx bench/pipeline-worker.ts FILE [--config JSON]
 */
import { validateConfig } from '../src/config/index.ts';
import { runSessionsJob } from '../src/daemon/index.ts';

export interface WorkerReport {
  file: string;
  frames: number;
  /** sum of captured frame bytes (what Gbit/s is computed on) */
  frameBytes: number;
  sessions: number;
  elapsedMs: number;
  /** resident set high-water mark, bytes */
  maxRssBytes: number;
  error: string | null;
  counters: Record<string, number>;
}

const [file, flag, configText] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: pipeline-worker.ts FILE [--config JSON]');
  process.exit(2);
}
const config = validateConfig(flag === '--config' && configText ? JSON.parse(configText) : {});
let sessions = 0;
let payload = 0;
const started = process.hrtime.bigint();
const result = await runSessionsJob([file], {
  config,
  // as `crashtest sessions` runs it: the consumer reads each session during the callback
  turnLifetime: 'callback',
  onSession: (session) => {
    sessions++;
    // touch the reassembled bytes so the work cannot be skipped
    for (const turn of session.turns) payload += turn.data.length;
  },
});
const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
const counters = result.counters;
const report: WorkerReport = {
  file,
  frames: result.files[0]!.frames,
  frameBytes: result.files[0]!.bytes,
  sessions,
  elapsedMs,
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  error: result.files[0]!.error?.message ?? null,
  counters: { ...counters, 'bench.payload_bytes': payload },
};
process.stdout.write(JSON.stringify(report) + '\n');
