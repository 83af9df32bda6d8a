/**
 * The live sensor on a veth pair in a namespace the test makes: tcpreplay plays corpus captures
 * into one end while the sensor captures the other, and the verdicts (level, profile, source,
 * destination) must be those `crashtest analyze` gives for the same files. Root only.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { validateConfig } from '../../src/config/index.ts';
import { analyzeCaptures, Sensor, type CrashtestEvent } from '../../src/daemon/index.ts';
import { CORPUS_DIR, createVethLab, ethernetCopy, liveLabUnavailable, type VethLab } from '../helpers/veth-lab.ts';

const FILES = ['cve-2021-44228-log4shell-useragent-revshell.pcap', 'ms09-050-smb2-negotiate-meterpreter.pcap'].map((name) => join(CORPUS_DIR, name));
const unavailable = liveLabUnavailable();
if (unavailable) console.log(`# SKIP live sensor test: ${unavailable}`);

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

test('the live sensor gives the verdicts analyze gives for the same captures', { skip: unavailable ?? false, timeout: 180_000 }, async () => {
  const expected: CrashtestEvent[] = [];
  await analyzeCaptures(FILES, { onEvent: (event) => expected.push(event) });
  assert.ok(verdictKeys(expected).length > 0, 'the files have verdicts offline');

  const dir = mkdtempSync(join(tmpdir(), 'crashtest-live-'));
  const config = validateConfig({
    sensor: { interfaces: [lab!.captureInterface], tcpdumpPath: lab!.tcpdumpPath, settleMs: 500, statsIntervalMs: 1_000, seriesIntervalMs: 500 },
    triage: { protectEveryReceiver: true },
    attribution: { journalPath: join(dir, 'journal.sqlite') },
    respond: { storePath: join(dir, 'respond.sqlite') },
    outputs: { jsonlPath: join(dir, 'eve.json') },
  });
  const events: CrashtestEvent[] = [];
  const sensor = await Sensor.start(config, { onEvent: (event) => events.push(event), log: () => undefined });
  try {
    // one file after the other, each at a rate the veth and tcpdump take without drops
    for (const file of FILES) await lab!.replay(await ethernetCopy(file, dir), { mbps: 100 });
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
});
