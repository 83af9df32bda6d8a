/**
 * The live sensor on a veth pair in a namespace the test makes: tcpreplay plays corpus captures
 * into one end while the sensor captures the other, and the verdicts (level, profile, source,
 * destination) must be those `crashtest analyze` gives for the same files, and each verdict's evidence
 * session.pcap, cut from the sensor's capture spool, must hold the frames `analyze --evidence` cuts from
 * the file. Root only.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { INTERFACE_DROP_FIELDS, readCaptureFile } from '../../src/capture/index.ts';
import { validateConfig } from '../../src/config/index.ts';
import { analyzeCaptures, Sensor, type CrashtestEvent } from '../../src/daemon/index.ts';
import { CORPUS_DIR, createVethLab, ethernetCopy, liveLabUnavailable, type ReplayReport, type VethLab, type VethLabOptions } from '../helpers/veth-lab.ts';

const FILES = ['cve-2021-44228-log4shell-useragent-revshell.pcap', 'ms09-050-smb2-negotiate-meterpreter.pcap'].map((name) => join(CORPUS_DIR, name));
const unavailable = liveLabUnavailable();
if (unavailable) console.log(`# SKIP live sensor test: ${unavailable}`);

/** each frame's bytes in hex, in order (times differ: tcpreplay plays at its own pace) */
async function frameBytes(path: string): Promise<string[]> {
  const frames: string[] = [];
  await readCaptureFile(path, (frame) => frames.push(frame.data.toString('hex')));
  return frames;
}

/** verdict key (with the source port: one folder per sender flow) → its evidence folder */
function evidenceByVerdict(events: readonly CrashtestEvent[]): Map<string, string> {
  const folders = new Map<string, string>();
  for (const event of events) {
    if (event.event_type !== 'verdict') continue;
    const fields = event as unknown as Record<string, unknown>;
    folders.set(`${String(fields.level)} ${String(fields.profile)} ${String(fields.src_ip)}:${String(fields.src_port)}`, String(fields.evidence_dir));
  }
  return folders;
}

function verdictKeys(events: readonly CrashtestEvent[]): string[] {
  return events
    .filter((event) => event.event_type === 'verdict')
    .map((event) => {
      const fields = event as unknown as Record<string, unknown>;
      return `${String(fields.level)} ${String(fields.profile)} ${String(fields.src_ip)} -> ${String(fields.dest_ip)}:${String(fields.dest_port)}`;
    })
    .sort();
}

let lab: VethLab | null = null;
before(() => {
  if (!unavailable) lab = createVethLab('live');
});
after(() => lab?.teardown());

test('the live sensor gives the verdicts analyze gives for the same captures', { skip: unavailable ?? false, timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'crashtest-live-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const copies: string[] = [];
  for (const file of FILES) copies.push(await ethernetCopy(file, dir));
  const expected: CrashtestEvent[] = [];
  await analyzeCaptures(copies, { onEvent: (event) => expected.push(event), evidenceDir: join(dir, 'offline-evidence') });
  assert.ok(verdictKeys(expected).length > 0, 'the files have verdicts offline');

  const config = validateConfig({
    sensor: {
      interfaces: [lab!.captureInterface],
      tcpdumpPath: lab!.tcpdumpPath,
      settleMs: 500,
      statsIntervalMs: 1_000,
      seriesIntervalMs: 500,
      evidenceDir: join(dir, 'live-evidence'),
    },
    triage: { protectEveryReceiver: true },
    attribution: { journalPath: join(dir, 'journal.sqlite') },
    respond: { storePath: join(dir, 'respond.sqlite') },
    outputs: { jsonlPath: join(dir, 'eve.json') },
  });
  const events: CrashtestEvent[] = [];
  const sensor = await Sensor.start(config, { onEvent: (event) => events.push(event), log: () => undefined });
  try {
    // one file after the other, each at a rate the veth and tcpdump take without drops
    for (const file of copies) await lab!.replay(file, { mbps: 100 });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const stats = await sensor.metrics();
    assert.match(stats, /^crashtest_capture_kernel_dropped_total 0$/m);
    assert.doesNotMatch(stats, /^crashtest_sensor_queue_overflow_dropped_total [1-9]/m);
  } finally {
    await sensor.close();
  }
  assert.deepEqual(verdictKeys(events), verdictKeys(expected));
  assert.ok(events.some((event) => event.event_type === 'stats'), 'a stats event was emitted');
  assert.ok(sensor.recentEvents(1000).some((event) => event.event_type === 'verdict'), 'the dashboard feed has the verdicts');
  const verdict = sensor.recentEvents(1000).find((event) => event.event_type === 'verdict') as unknown as { flow_id: number; profile: string };
  const detail = sensor.verdictDetail(verdict.flow_id, verdict.profile);
  assert.ok(detail && detail.transcript.length > 0, 'the verdict detail has the transcript');
  assert.equal(sensor.farm().leasesActive, 0, 'every dummy is back after shutdown');

  // the evidence: each live verdict's session.pcap has the frames analyze cut for the same verdict
  const offline = evidenceByVerdict(expected);
  const live = evidenceByVerdict(events);
  assert.ok(live.size > 0);
  for (const [key, folder] of live) {
    const offlineFolder = offline.get(key); // tcpreplay keeps the ports, so the same sender flow
    assert.ok(offlineFolder, `analyze has the verdict ${key}`);
    const liveFrames = await frameBytes(join(folder, 'session.pcap'));
    assert.ok(liveFrames.length > 0, `${key}: session.pcap has frames`);
    assert.deepEqual(liveFrames, await frameBytes(join(offlineFolder, 'session.pcap')), `${key}: the same frames as analyze cut`);
    assert.ok(!existsSync(join(folder, 'session-note.txt')), `${key}: nothing was rotated away`);
    assert.ok(sensor.verdictDetail(Number(/-flow-(\d+)-/.exec(folder)![1]), key.split(' ')[1]!)!.evidenceFiles.some((file) => file.name === 'session.pcap'));
  }
  assert.equal(sensor.counters.get('sensor.spool.evidence_rotated'), 0);
  assert.equal(sensor.counters.get('sensor.spool.dropped_frames'), 0);
  assert.deepEqual(readdirSync(join(dir, 'live-evidence', '.spool')), [], 'the spool is deleted at shutdown');
});

// ---- drops: two forced losses must balance, sent = decoded + counted drops ----------------------

/** the drop counters that together explain every packet sent and not decoded */
const PACKET_DROP_COUNTERS = ['capture.kernel_dropped', ...INTERFACE_DROP_FIELDS.map((field) => `capture.interface_${field}`), 'capture.unread_at_stop'];

interface Overrun {
  report: ReplayReport;
  sensor: Sensor;
  events: CrashtestEvent[];
  logLines: string[];
  metrics: string;
  counted: number;
}

/** One sensor on a lab of its own; `during` runs while tcpreplay plays `file`. */
async function overrun(labOptions: VethLabOptions, file: string, sensorSettings: Record<string, unknown>, during: () => void, replay: { mbps: number; loop: number }): Promise<Overrun> {
  const dropLab = createVethLab('drop', labOptions);
  const dir = mkdtempSync(join(tmpdir(), 'crashtest-live-drops-'));
  try {
    const config = validateConfig({
      sensor: { interfaces: [dropLab.captureInterface], tcpdumpPath: dropLab.tcpdumpPath, settleMs: 200, statsIntervalMs: 1_000, seriesIntervalMs: 300, ...sensorSettings },
      attribution: { journalPath: join(dir, 'journal.sqlite') },
      respond: { storePath: join(dir, 'respond.sqlite') },
    });
    const events: CrashtestEvent[] = [];
    const logLines: string[] = [];
    const sensor = await Sensor.start(config, { onEvent: (event) => events.push(event), log: (line) => logLines.push(line) });
    let report: ReplayReport;
    let metrics: string;
    try {
      const replaying = dropLab.replay(await ethernetCopy(file, dir), { mbps: replay.mbps }, { loop: replay.loop });
      during();
      report = await replaying;
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // a stats tick and series samples after the replay
      metrics = await sensor.metrics();
    } finally {
      await sensor.close();
    }
    const counted = PACKET_DROP_COUNTERS.reduce((sum, name) => sum + sensor.counters.get(name), 0);
    return { report, sensor, events, logLines, metrics, counted };
  } finally {
    dropLab.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertBalanced(run: Overrun): void {
  const { report, sensor, counted } = run;
  // a packet tcpreplay retried is counted by the interface once per refusal, yet arrives: no balance then
  assert.equal(report.failed + report.retried, 0, `tcpreplay sent every packet once: ${report.output}`);
  const decoded = sensor.counters.get('decoder.packets');
  assert.equal(decoded + counted, report.sent, `sent = decoded + counted drops: ${JSON.stringify(sensor.counters.snapshot('capture.'))}, decoded ${decoded}`);
  assert.ok(counted > 0, 'the forced loss happened');
  const series = sensor.series();
  assert.ok(series.reduce((sum, point) => sum + point.drops, 0) > 0, 'the dashboard series shows drops');
  assert.ok(series.every((point) => typeof point.hostBacklogDrops === 'number'), 'every point carries the host backlog drops');
  const stats = run.events.filter((event) => event.event_type === 'stats').at(-1) as unknown as { stats: { capture: Record<string, number> } } | undefined;
  assert.ok(stats, 'a stats event was emitted');
  for (const name of PACKET_DROP_COUNTERS) assert.equal(stats.stats.capture[name.slice('capture.'.length)], sensor.counters.get(name), `the last stats event (at shutdown) has ${name}`);
  assert.ok(run.logLines.some((line) => line.startsWith(`drops since start: ${counted} `)), `a log line says so: ${run.logLines.join(' | ')}`);
}

test('frames the capture interface cannot take are counted by its rx_dropped: sent = decoded + counted drops', { skip: unavailable ?? false, timeout: 120_000 }, async () => {
  // a mirror lab, so the capture end's drops are lost as a SPAN port loses them (tcpreplay never
  // hears of them), and a 1500-byte MTU there: the kernel drops longer frames on the capture end's
  // behalf (over its MTU + Ethernet header + one VLAN tag, 1518 bytes) and counts each in rx_dropped
  const file = FILES[1]!;
  let oversize = 0;
  await readCaptureFile(file, (frame) => void (frame.data.length > 1518 && oversize++));
  assert.ok(oversize > 0, `${file} has frames longer than 1518 bytes`);
  const loop = 3;
  const run = await overrun({ mirror: true, captureMtu: 1500 }, file, {}, () => undefined, { mbps: 50, loop });
  assertBalanced(run);
  assert.equal(run.sensor.counters.get('capture.interface_rx_dropped'), oversize * loop, 'rx_dropped counts exactly the frames too long for the capture end');
  assert.equal(run.sensor.counters.get('capture.kernel_dropped'), 0);
  assert.match(run.metrics, new RegExp(`^crashtest_capture_interface_rx_dropped_total ${oversize * loop}$`, 'm'));
  assert.match(run.metrics, /^crashtest_capture_backlog_dropped_total \d+$/m);
});

test('a sensor too stalled to empty its kernel ring counts the overrun: sent = decoded + counted drops', { skip: unavailable ?? false, timeout: 120_000 }, async () => {
  // a 1 MiB ring and an event loop blocked for 2 s while ~20 MB arrive: tcpdump fills the pipe,
  // stops reading, and the kernel drops what the ring cannot hold
  const stall = (): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2_000);
  const run = await overrun({}, FILES[1]!, { bufferKiB: 1_024 }, stall, { mbps: 200, loop: 20 });
  assertBalanced(run);
  const ring = run.sensor.counters.get('capture.kernel_dropped');
  assert.ok(ring > 0, 'the kernel ring overflowed');
  assert.match(run.metrics, /^crashtest_capture_kernel_dropped_total [1-9]\d*$/m);
  assert.ok(run.logLines.some((line) => line.includes(`kernel ring ${ring};`)), 'the final log line names the ring drops');
});
