/**
 * `npm run bench -- respond [--verdicts N] [--sessions N] [--json]`
 *   verdict → port down: a compromised verdict through the responder (attribution lookup, safety
 *   rails, rule store, audit log) to an SNMP ifAdminStatus set that the simulated switch (snmpsim)
 *   reads back as down(2), over v2c and v3 authPriv; p50/p95 (target p95 ≤ 1 s).
 *   journal inserts per second: sessions written to the SQLite journal (WAL) in batches, raw and
 *   through the Attributor (which also looks up each MAC's port).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Attributor, AttributionQuery, type SessionAttribution } from '../src/attribution/index.ts';
import { Counters } from '../src/core/index.ts';
import { SnmpPortEnforcer, SqliteAttributionJournal, SqliteResponseStore } from '../src/drivers/index.ts';
import { Responder } from '../src/respond/index.ts';
import { SNMPSIM_MISSING, startSnmpSim, switchRecords, target } from '../test/drivers/snmp-agents.ts';
import { sessionRecord } from '../test/helpers/session-record.ts';

export interface RespondBenchResult {
  verdictToPortDown: Record<'v2c' | 'v3', { samples: number; p50Ms: number; p95Ms: number; maxMs: number }> | null;
  journalInsertsPerSecond: number;
  attributorSessionsPerSecond: number;
}

export async function main(args: string[]): Promise<number> {
  const verdicts = numberOption(args, '--verdicts', 100);
  const sessions = numberOption(args, '--sessions', 200_000);
  const result = await runRespondBench({ verdicts, sessions });
  if (args.includes('--json')) {
    console.log(JSON.stringify(result));
  } else {
    if (result.verdictToPortDown) {
      for (const [version, stats] of Object.entries(result.verdictToPortDown)) {
        console.log(`verdict → port down (${version}, ${stats.samples} verdicts): p50 ${stats.p50Ms.toFixed(1)} ms, p95 ${stats.p95Ms.toFixed(1)} ms, max ${stats.maxMs.toFixed(1)} ms`);
      }
    } else {
      console.log(`verdict → port down: skipped (${SNMPSIM_MISSING})`);
    }
    console.log(`journal inserts: ${Math.round(result.journalInsertsPerSecond).toLocaleString('en')} sessions/s`);
    console.log(`attributor (port lookup + insert): ${Math.round(result.attributorSessionsPerSecond).toLocaleString('en')} sessions/s`);
  }
  const p95 = Math.max(...Object.values(result.verdictToPortDown ?? {}).map((stats) => stats.p95Ms));
  return p95 > 1_000 ? 1 : 0;
}

export async function runRespondBench(options: { verdicts: number; sessions: number }): Promise<RespondBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'crashtest-bench-respond-'));
  try {
    const journalInsertsPerSecond = benchJournal(join(dir, 'journal.sqlite'), options.sessions);
    const attributorSessionsPerSecond = benchAttributor(join(dir, 'attributor.sqlite'), Math.min(options.sessions, 100_000));
    const verdictToPortDown = SNMPSIM_MISSING ? null : await benchVerdicts(options.verdicts);
    return { verdictToPortDown, journalInsertsPerSecond, attributorSessionsPerSecond };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(id: number): SessionAttribution {
  return {
    sessionId: id,
    captureSeconds: 1_700_000_000 + id / 1_000,
    proto: 'tcp',
    srcIp: `10.${(id >> 16) & 255}.${(id >> 8) & 255}.${id & 255}`,
    srcPort: 1_024 + (id % 60_000),
    dstIp: '10.0.0.80',
    dstPort: 445,
    srcMac: 0x020000000000 + (id % 5_000),
    dstMac: 0x020000000080,
    vlan: 10,
    switchName: 'access-1',
    port: `Gi1/0/${id % 48}`,
    ifIndex: 10_100 + (id % 48),
    portSeenSeconds: null,
  };
}

function benchJournal(path: string, count: number): number {
  const journal = new SqliteAttributionJournal({ path, retentionDays: 30, maxBytes: 1 << 30 });
  const rows = Array.from({ length: count }, (_, id) => row(id));
  const started = performance.now();
  for (let offset = 0; offset < count; offset += 256) journal.recordSessions(rows.slice(offset, offset + 256));
  const seconds = (performance.now() - started) / 1_000;
  journal.close();
  return count / seconds;
}

function benchAttributor(path: string, count: number): number {
  const journal = new SqliteAttributionJournal({ path, retentionDays: 30, maxBytes: 1 << 30 });
  journal.recordMacPorts(
    Array.from({ length: 5_000 }, (_, index) => ({
      mac: 0x020000000000 + index,
      vlan: 10,
      switchName: 'access-1',
      port: `Gi1/0/${index % 48}`,
      ifIndex: 10_100 + (index % 48),
      source: 'snmp-qbridge' as const,
      seconds: 1_699_999_000,
    })),
  );
  const attributor = new Attributor({ journal, counters: new Counters() });
  const started = performance.now();
  for (let id = 0; id < count; id++) {
    const session = sessionRecord({
      id,
      client: { ip: `10.0.${(id >> 8) & 255}.${id & 255}`, port: 40_000, mac: 0x020000000000 + (id % 5_000), ttl: 64 },
      server: { ip: '10.0.0.80', port: 445, mac: 0x020000000080, ttl: 64 },
      vlan: 10,
      startSeconds: 1_700_000_000 + Math.floor(id / 1_000),
      endSeconds: 1_700_000_000,
    });
    attributor.observeSession(session);
  }
  attributor.flush();
  const seconds = (performance.now() - started) / 1_000;
  journal.close();
  return count / seconds;
}

async function benchVerdicts(count: number): Promise<NonNullable<RespondBenchResult['verdictToPortDown']>> {
  const sim = await startSnmpSim({ switch: switchRecords({ qbridge: true }) });
  try {
    return { v2c: await timeVerdicts(sim.port, '2c', count), v3: await timeVerdicts(sim.port, '3', count) };
  } finally {
    await sim.stop();
  }
}

async function timeVerdicts(port: number, version: '2c' | '3', count: number) {
  const journal = new SqliteAttributionJournal({ path: ':memory:', retentionDays: 30, maxBytes: 1 << 30 });
  const store = new SqliteResponseStore(':memory:');
  const snmpTarget = target(port, { version, timeoutMs: 1_000 });
  const responder = new Responder({
    settings: {
      minimumLevel: 'compromised',
      approvalRequired: false,
      ruleTtlSeconds: 3_600,
      expiryCheckIntervalMs: 60_000,
      protectedPorts: [],
      protectedPortPatterns: [],
      protectMacCountAbove: 4,
      maxActionsPerHour: count + 1,
    },
    store,
    audit: store,
    enforcer: new SnmpPortEnforcer([snmpTarget]),
    attribution: new AttributionQuery(journal),
    counters: new Counters(),
  });
  const samples: number[] = [];
  try {
    for (let id = 1; id <= count; id++) {
      journal.recordSessions([{ ...row(id), srcMac: 0x02000000000a, switchName: 'sim-switch', port: 'Gi1/0/3', ifIndex: 10103, captureSeconds: Date.now() / 1000 }]);
      const started = performance.now();
      const outcome = await responder.handleVerdict({ sessionId: id, srcIp: '10.0.0.10', srcMac: 0x02000000000a, level: 'compromised', reason: 'bench' });
      const elapsed = performance.now() - started;
      if (outcome.kind !== 'rule' || outcome.rule.state !== 'applied') throw new Error(`verdict ${id} did not shut the port: ${JSON.stringify(outcome)}`);
      samples.push(elapsed);
      await responder.undo(outcome.rule.id, 'bench');
    }
  } finally {
    responder.close();
    store.close();
    journal.close();
  }
  samples.sort((a, b) => a - b);
  const at = (quantile: number) => samples[Math.min(samples.length - 1, Math.floor(quantile * samples.length))]!;
  return { samples: samples.length, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: samples.at(-1)! };
}

function numberOption(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  return index >= 0 && args[index + 1] !== undefined ? Number(args[index + 1]) : fallback;
}

// Runnable on its own too: `npx tsx bench/respond.ts`.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
