/**
 * `npm run bench -- stages [FILE]`: where the ingest time goes. Times, in this process, read only,
 * read+decode, and read+decode+flow on the same file (default: a 256 MiB capture built like the
 * ingest one), each run twice with the second one reported (the first warms the JIT and page cache).
 * `cpu s` is the process's user+system time over the run (the collector's helper threads included):
 * on a shared machine it moves less than the wall clock.
 */
import { Counters } from '../src/core/index.ts';
import { readCaptureFile } from '../src/capture/index.ts';
import { defaultConfig } from '../src/config/index.ts';
import { PacketDecoder } from '../src/decode/index.ts';
import { FlowTable } from '../src/flow/index.ts';
import { corpusCaptures } from '../test/helpers/corpus.ts';
import { buildIngestCapture, loadIpv4Templates } from './capture-builders.ts';
import { formatTable, MiB } from './measure.ts';

type Stage = 'read' | 'read+decode' | 'read+decode+flow';

async function runStage(file: string, stage: Stage): Promise<{ seconds: number; cpuSeconds: number; frames: number; bytes: number }> {
  const config = defaultConfig();
  const counters = new Counters();
  const decoder = new PacketDecoder(config.decode, counters);
  const table = new FlowTable(config.flow, counters, () => undefined);
  let frames = 0;
  let bytes = 0;
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  await readCaptureFile(file, (frame) => {
    frames++;
    bytes += frame.data.length;
    if (stage === 'read') return;
    const packet = decoder.decode(frame);
    if (stage === 'read+decode' || packet === null) return;
    table.add(packet);
  });
  if (stage === 'read+decode+flow') table.flush('end_of_capture');
  const cpu = process.cpuUsage(cpuStarted);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds: (cpu.user + cpu.system) / 1e6, frames, bytes };
}

export async function main(args: string[]): Promise<number> {
  let file = args[0];
  if (file === undefined) {
    const captures = corpusCaptures();
    if (captures.length === 0) {
      console.error('stages bench: give a FILE or make the corpus available');
      return 1;
    }
    file = (await buildIngestCapture(await loadIpv4Templates(captures), 256 * MiB)).path;
  }
  const rows: string[][] = [];
  for (const stage of ['read', 'read+decode', 'read+decode+flow'] as const) {
    await runStage(file, stage);
    const { seconds, cpuSeconds, frames, bytes } = await runStage(file, stage);
    rows.push([
      stage,
      seconds.toFixed(2),
      cpuSeconds.toFixed(2),
      (frames / seconds / 1e6).toFixed(2),
      ((bytes * 8) / seconds / 1e9).toFixed(2),
      ((seconds / frames) * 1e9).toFixed(0),
    ]);
  }
  console.log(`stages on ${file}`);
  console.log(formatTable(['stage', 'seconds', 'cpu s', 'Mpkt/s', 'Gbit/s', 'ns/packet'], rows));
  return 0;
}
