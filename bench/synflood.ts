/**
 * `npm run bench -- synflood [--flows N]`: N distinct SYNs (default 10 million), 1 µs apart, through
 * read+decode+flow with the default configuration (or --config JSON) and node's default heap flags. Must finish with peak RSS under 1 GiB, the flow
 * caps firing and counted (every flow stays embryonic, so maxFlows and the memcap do the work).
 */
import { fileURLToPath } from 'node:url';
import { buildSynFloodCapture } from './capture-builders.ts';
import { formatTable, measure, MiB } from './measure.ts';
import type { WorkerReport } from './pipeline-worker.ts';

const workerPath = fileURLToPath(new URL('./pipeline-worker.ts', import.meta.url));
const PEAK_LIMIT_BYTES = 1024 * MiB;

export async function main(args: string[]): Promise<number> {
  const flowsAt = args.indexOf('--flows');
  const configAt = args.indexOf('--config');
  return runSynFlood(flowsAt >= 0 ? Number(args[flowsAt + 1]) : 10_000_000, configAt >= 0 ? args[configAt + 1] : undefined);
}

/** `configJson`: a crashtest configuration for the run (e.g. '{"flow":{"maxFlows":300000}}'); default config otherwise */
export async function runSynFlood(flows: number, configJson?: string): Promise<number> {
  // node's default heap settings: the memory limit is about what a default deployment uses
  const configArgs = configJson === undefined ? [] : ['--config', configJson];
  const started = Date.now();
  const built = await buildSynFloodCapture(flows);
  console.log(`\nsynflood: ${built.reused ? 'reused' : 'built'} ${built.path} (${(built.bytes / MiB).toFixed(0)} MiB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const run = await measure(process.execPath, ['--import', 'tsx', workerPath, built.path, ...configArgs]);
  if (run.status !== 0) {
    console.error(`our pipeline failed (exit ${run.status}):\n${run.stderr}`);
    return 1;
  }
  const report = JSON.parse(run.stdout.trim().split('\n').pop()!) as WorkerReport;
  const counters = report.counters;
  const evictions = (counters['flow.max_flows_evictions'] ?? 0) + (counters['flow.memcap_evictions'] ?? 0);
  console.log(
    formatTable(
      ['workload', 'flows', 'sessions', 'wall s', 'Mpkt/s', 'peak RSS MiB', 'max_flows evictions', 'memcap evictions', 'timeouts', 'active peak'],
      [
        [
          'SYN flood',
          String(flows),
          String(report.sessions),
          (report.elapsedMs / 1000).toFixed(2),
          (report.frames / (report.elapsedMs / 1000) / 1e6).toFixed(2),
          (run.maxRssBytes / MiB).toFixed(0),
          String(counters['flow.max_flows_evictions'] ?? 0),
          String(counters['flow.memcap_evictions'] ?? 0),
          String(Object.entries(counters).filter(([name]) => name.startsWith('flow.timeouts.')).reduce((sum, [, value]) => sum + value, 0)),
          String(counters['flow.active_peak'] ?? 0),
        ],
      ],
    ),
  );
  const flowCounters = Object.entries(counters).filter(([name]) => name.startsWith('flow.'));
  console.log(`flow counters: ${flowCounters.map(([name, value]) => `${name}=${value}`).join(' ')}`);
  const underLimit = run.maxRssBytes < PEAK_LIMIT_BYTES;
  console.log(`peak memory under 1 GiB: ${underLimit ? 'yes' : 'NO'}; evictions counted: ${evictions}`);
  return underLimit && report.sessions === flows ? 0 : 1;
}
