/**
 * `npm run bench -- ingest [--size-mib N] [--no-tshark] [--no-synflood]`
 *
 * Builds (once, into bench/out/) a capture of at least 1 GiB by repeating the corpus's Ethernet IPv4
 * traffic with shifted addresses and times (bench/capture-builders.ts), then times in the same run:
 *   ours     read+decode+flow+reassembly (bench/pipeline-worker.ts in a child process, one core)
 *   tcpdump  -r FILE -w /dev/null          (reads and writes records, keeps no state: the ceiling)
 *   tshark   -r FILE -q -z conv,tcp        (full dissection)
 * The file is read once beforehand so every tool reads it from the page cache. Gbit/s counts
 * captured frame bytes. Then the SYN-flood workload (bench/synflood.ts).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { corpusCaptures } from '../test/helpers/corpus.ts';
import { buildIngestCapture, loadIpv4Templates } from './capture-builders.ts';
import { formatTable, measure, MiB, type Measurement } from './measure.ts';
import type { WorkerReport } from './pipeline-worker.ts';
import { runSynFlood } from './synflood.ts';

const SEMI_SPACE_MIB = 64;
const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** The target is per core: pin each tool to one CPU (when taskset exists) so helper threads cannot borrow another. */
function onOneCore(command: string, args: string[]): [string, string[]] {
  return pinned ? ['taskset', ['-c', '0', command, ...args]] : [command, args];
}
const workerPath = fileURLToPath(new URL('./pipeline-worker.ts', import.meta.url));

export async function main(args: string[]): Promise<number> {
  const sizeMiB = Number(valueOf(args, '--size-mib') ?? 1024);
  const captures = corpusCaptures();
  if (captures.length === 0) {
    console.error('ingest bench: the corpus is needed to build the capture (set CRASHTEST_CORPUS)');
    return 1;
  }
  console.log(`building ≥ ${sizeMiB} MiB capture from ${captures.length} corpus files …`);
  const started = Date.now();
  const templates = await loadIpv4Templates(captures);
  const built = await buildIngestCapture(templates, sizeMiB * MiB);
  console.log(`${built.reused ? 'reused' : 'built'} ${built.path}: ${(built.bytes / MiB).toFixed(0)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await warmPageCache(built.path);

  // node's default young generation (16 MiB semi-spaces) makes the scavenger run constantly on a
  // per-packet-allocating pipeline; the tuned run shows what a larger one buys
  const oursDefault = await measure(...onOneCore(process.execPath, ['--import', 'tsx', workerPath, built.path]));
  const ours = await measure(...onOneCore(process.execPath, [`--max-semi-space-size=${SEMI_SPACE_MIB}`, '--import', 'tsx', workerPath, built.path]));
  for (const run of [oursDefault, ours]) {
    if (run.status !== 0) {
      console.error(`our pipeline failed (exit ${run.status}):\n${run.stderr}`);
      return 1;
    }
  }
  const reportDefault = JSON.parse(oursDefault.stdout.trim().split('\n').pop()!) as WorkerReport;
  const report = JSON.parse(ours.stdout.trim().split('\n').pop()!) as WorkerReport;
  const tcpdump = await measure(...onOneCore('tcpdump', ['-n', '-r', built.path, '-w', '/dev/null']));
  const tshark = args.includes('--no-tshark') ? null : await measure(...onOneCore('tshark', ['-n', '-r', built.path, '-q', '-z', 'conv,tcp']));
  console.log(pinned ? 'every tool ran pinned to CPU 0 (taskset -c 0), so V8 GC threads share that core too' : 'taskset not found: tools ran unpinned');

  const bits = report.frameBytes * 8;
  const row = (name: string, seconds: number, measurement: Measurement | null, note = ''): string[] => [
    name,
    seconds.toFixed(2),
    ((report.frames / seconds) / 1e6).toFixed(2),
    (bits / seconds / 1e9).toFixed(2),
    measurement ? (measurement.maxRssBytes / MiB).toFixed(0) : '-',
    note,
  ];
  const rows = [
    row('ours, node defaults (pipeline only)', reportDefault.elapsedMs / 1000, oursDefault, `${reportDefault.sessions} sessions`),
    row('ours, node defaults (process wall)', oursDefault.wallSeconds, oursDefault),
    row(`ours, semi-space ${SEMI_SPACE_MIB} MiB (pipeline only)`, report.elapsedMs / 1000, ours, `${report.sessions} sessions`),
    row(`ours, semi-space ${SEMI_SPACE_MIB} MiB (process wall)`, ours.wallSeconds, ours),
    row('tcpdump -w /dev/null', tcpdump.wallSeconds, tcpdump, tcpdump.status === 0 ? '' : `exit ${tcpdump.status}`),
  ];
  if (tshark) rows.push(row('tshark -z conv,tcp', tshark.wallSeconds, tshark, tshark.status === 0 ? '' : `exit ${tshark.status}`));
  console.log(`\ningest: ${report.frames} frames, ${(report.frameBytes / MiB).toFixed(0)} MiB of frame bytes, file ${(statSync(built.path).size / MiB).toFixed(0)} MiB`);
  console.log(formatTable(['tool', 'wall s', 'Mpkt/s', 'Gbit/s', 'peak RSS MiB', ''], rows));
  console.log(`\nload average while running: ${loadavg().map((value) => value.toFixed(2)).join(' ')} on ${cpus().length} cores (other work on the machine skews every row)`);
  console.log(`ours/tcpdump throughput (process wall): ${(tcpdump.wallSeconds / oursDefault.wallSeconds).toFixed(2)} with node defaults, ${(tcpdump.wallSeconds / ours.wallSeconds).toFixed(2)} tuned`);
  if (tshark) console.log(`ours/tshark throughput (process wall): ${(tshark.wallSeconds / ours.wallSeconds).toFixed(2)}`);
  console.log(`target ≥ 2 Gbit/s on one core: ${bits / (report.elapsedMs / 1000) / 1e9 >= 2 ? 'met' : 'NOT met'} (pipeline only)`);
  const interesting = Object.entries(report.counters).filter(([name]) => /^flow\.(ended|memcap|max_flows|truncated|port_reuse|active_peak)|^anomaly\.|^decoder\.(packets|fragments)/.test(name));
  console.log(`counters: ${interesting.map(([name, value]) => `${name}=${value}`).join(' ')}`);
  if (report.error) console.log(`read error: ${report.error}`);

  if (args.includes('--no-synflood')) return 0;
  return runSynFlood(10_000_000);
}

function valueOf(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

async function warmPageCache(path: string): Promise<void> {
  for await (const _chunk of createReadStream(path, { highWaterMark: 8 * MiB })) {
    // reading is the point
  }
}
