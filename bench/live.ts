/**
 * `npm run bench -- live [--file PCAP] [--loop N] [--json]`: the sustained replay rate the live
 * sensor takes before any drop (kernel ring or analysis queue), next to the file-based ingest rate
 * of the same capture in the same run. tcpreplay plays the capture into a veth pair inside a
 * namespace made for the run, at rising --mbps and then --topspeed; the last step without a drop is
 * the answer. Root, tcpdump and tcpreplay are needed; without them it says why and exits 0.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../src/config/index.ts';
import { runSessionsJob, Sensor } from '../src/daemon/index.ts';
import { CORPUS_DIR, createVethLab, ethernetCopy, liveLabUnavailable } from '../test/helpers/veth-lab.ts';

const STEPS_MBPS = [100, 250, 500, 1_000, 2_000, 4_000];

interface Step {
  requested: string;
  /** what tcpreplay reports it achieved */
  achievedMbps: number;
  packets: number;
  /** packets the sensor decoded; fewer than sent is a loss even when no counter says so */
  received: number;
  kernelDropped: number;
  queueDropped: number;
}

export async function main(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const fileArg = args.indexOf('--file');
  const loopArg = args.indexOf('--loop');
  const file = fileArg >= 0 ? args[fileArg + 1]! : join(CORPUS_DIR, 'ms09-050-smb2-negotiate-meterpreter.pcap');
  const loop = loopArg >= 0 ? Number(args[loopArg + 1]) : 300; // ~290 MB: well past the 32 MiB kernel ring, so a burst cannot hide in it
  const unavailable = liveLabUnavailable();
  if (unavailable) {
    console.log(`live bench skipped: ${unavailable}`);
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'crashtest-bench-live-'));
  const lab = createVethLab('bench');
  try {
    const replayFile = await ethernetCopy(file, dir);
    const fileRate = await fileIngestMbps(replayFile, loop);
    const steps: Step[] = [];
    for (const speed of [...STEPS_MBPS.map((mbps) => ({ mbps })), 'topspeed' as const]) {
      const step = await liveStep(lab, replayFile, speed, loop, dir);
      steps.push(step);
      if (lost(step)) break;
    }
    const clean = steps.filter((step) => !lost(step));
    const best = clean.reduce((top, step) => (step.achievedMbps > top ? step.achievedMbps : top), 0);
    if (json) console.log(JSON.stringify({ file, loop, fileIngestMbps: fileRate, liveWithoutDropMbps: best, steps }));
    else {
      console.log(`capture ${file} × ${loop}`);
      console.log(`file ingest (capture → decode → flow): ${fileRate.toFixed(0)} Mbit/s`);
      for (const step of steps) console.log(`live ${step.requested.padEnd(10)} achieved ${step.achievedMbps.toFixed(0).padStart(6)} Mbit/s  ${step.packets} sent  ${step.received} decoded  kernel drops ${step.kernelDropped}  queue drops ${step.queueDropped}`);
      console.log(`live sustained without drops: ${best.toFixed(0)} Mbit/s (${fileRate > 0 ? ((best / fileRate) * 100).toFixed(0) : '?'}% of file ingest)`);
    }
    return 0;
  } finally {
    lab.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

function lost(step: Step): boolean {
  return step.kernelDropped + step.queueDropped > 0 || step.received < step.packets;
}

/** capture → decode → flow over the file `loop` times, in Mbit/s of capture file */
async function fileIngestMbps(file: string, loop: number): Promise<number> {
  const files = Array.from({ length: loop }, () => file);
  const started = process.hrtime.bigint();
  await runSessionsJob(files, { onSession: () => undefined, turnLifetime: 'callback' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (statSync(file).size * loop * 8) / seconds / 1e6;
}

async function liveStep(lab: ReturnType<typeof createVethLab>, file: string, speed: { mbps: number } | 'topspeed', loop: number, dir: string): Promise<Step> {
  const config = validateConfig({
    sensor: { interfaces: [lab.captureInterface], tcpdumpPath: lab.tcpdumpPath, settleMs: 200, statsIntervalMs: 60_000 },
    attribution: { journalPath: join(dir, 'journal.sqlite') },
    respond: { storePath: join(dir, 'respond.sqlite') },
  });
  const sensor = await Sensor.start(config, { log: () => undefined });
  let output = '';
  try {
    output = await lab.replay(file, speed, { loop });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await sensor.refreshStats();
  } finally {
    await sensor.close();
  }
  const achieved = /([\d.]+) Mbps/.exec(output);
  const packets = /Successful packets:\s+(\d+)/.exec(output);
  return {
    requested: speed === 'topspeed' ? 'topspeed' : `${speed.mbps} Mbps`,
    achievedMbps: achieved ? Number(achieved[1]) : 0,
    packets: packets ? Number(packets[1]) : 0,
    received: sensor.counters.get('decoder.packets'),
    kernelDropped: sensor.counters.get('capture.kernel_dropped') + sensor.counters.get('capture.interface_dropped'),
    queueDropped: sensor.counters.get('sensor.queue.overflow_dropped'),
  };
}
