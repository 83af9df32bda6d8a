/**
 * `npm run bench -- analyze [--copies N] [--no-corpus] [--no-worm] [--json]`
 *   corpus  `crashtest analyze --json` over every capture of the corpus in one process: wall time and
 *           peak RSS (GNU time), sessions, replay jobs, detonations, and detonations per second.
 *   worm    one Slammer-style UDP 1434 datagram (bench/worm-payload.ts) sent by N distinct sources to
 *           N distinct protected hosts, spread over time, in two files: the first holds one copy,
 *           the second the other N-1. Both are analysed in one run; the first copy is detonated,
 *           the copies after it should be answered by the signature learned from it. Reported: how
 *           many verdicts came from a replay, a learned signature, group testing or analysis, and
 *           the share of copies answered without a replay of their own.
 * The tables are printed; the JSON goes to bench/out/analyze.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPcap, synthesizeUdpExchange } from '../src/capture/index.ts';
import { LinkType, type Frame } from '../src/core/index.ts';
import { formatTable, measure, MiB, type Measurement } from './measure.ts';
import { wormDatagram } from './worm-payload.ts';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const outDir = join(repoRoot, 'bench', 'out');
const cli = join(repoRoot, 'bin', 'crashtest.js');
const SQL_RESOLUTION_PORT = 1434;
/** one copy every 10 ms: 10,000 copies span 100 s of capture time */
const COPY_SPACING_NANOSECONDS = 10_000_000;
const CAPTURE_START_SECONDS = 1_700_000_000;
/** analyze is one process on one thread of JavaScript: pin it (and its GC threads) to one core */
const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** $CRASHTEST_CORPUS, else ../shared/corpus beside the repository (as the tests find it) */
function corpusDir(): string {
  return resolve(process.env.CRASHTEST_CORPUS ?? join(repoRoot, '..', 'shared', 'corpus'));
}

function corpusCaptures(): string[] {
  const dir = corpusDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /\.(pcap|pcapng|cap)$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

interface AnalyzeRun {
  files: number;
  wallSeconds: number;
  peakRssBytes: number;
  status: number | null;
  sessions: number;
  jobs: number;
  detonations: number;
  detonationsPerSecond: number;
  sessionsPerSecond: number;
  signatureHits: number;
  verdicts: { events: number; byReplay: Record<string, number>; byLevel: Record<string, number> };
  /** per sender: how its copy was answered */
  copies: Record<CopyAnswer, number>;
  stderrTail: string;
}

interface PrintedEvent {
  event_type: string;
  flow_id?: number;
  src_ip?: string;
  src_port?: number;
  replay?: string;
  level?: string;
  senders?: Array<{ flow_ids?: number[] }>;
  stats?: Record<string, unknown>;
}

/**
 * How one sender's copy got its verdict: its own session replayed, deduped onto another sender's
 * replayed job (same payload in the same file), a learned signature, or analysis.
 */
type CopyAnswer = 'replayed' | 'deduped' | 'signature' | 'analysis';

export async function main(args: string[]): Promise<number> {
  mkdirSync(outDir, { recursive: true });
  const report: { corpus?: AnalyzeRun; worm?: WormReport } = {};
  let failed = false;

  if (!args.includes('--no-corpus')) {
    const captures = corpusCaptures();
    if (captures.length === 0) {
      console.error(`analyze bench: no captures in ${corpusDir()} (set CRASHTEST_CORPUS)`);
      failed = true;
    } else {
      console.log(`analysing ${captures.length} corpus captures in one process …`);
      report.corpus = await analyzeRun(captures);
      failed ||= report.corpus.status !== 0;
      printCorpus(report.corpus);
    }
  }

  if (!args.includes('--no-worm')) {
    const copies = Number(valueOf(args, '--copies') ?? 10_000);
    const files = writeWormCaptures(copies);
    console.log(`\nworm: ${copies} copies of one ${wormDatagram().length}-byte UDP ${SQL_RESOLUTION_PORT} datagram, 1 in ${files[0]}, ${copies - 1} in ${files[1]}`);
    const run = await analyzeRun(files);
    report.worm = { copiesSent: copies, ...run };
    failed ||= run.status !== 0;
    printWorm(report.worm);
  }

  console.log(pinned ? '\nevery run was pinned to CPU 0 (taskset -c 0): rates are per core' : '\ntaskset not found: runs were not pinned');
  const outPath = join(outDir, 'analyze.json');
  writeFileSync(outPath, `${JSON.stringify(report, null, 2)}\n`);
  if (args.includes('--json')) console.log(JSON.stringify(report));
  console.log(`written ${outPath}`);
  return failed ? 1 : 0;
}

/** `crashtest analyze --json FILE...` under GNU time; the events are tallied from its stdout. */
async function analyzeRun(files: string[]): Promise<AnalyzeRun> {
  const tally = new EventTally();
  const command = [process.execPath, cli, 'analyze', '--json', ...files];
  const measurement: Measurement = await measure(pinned ? 'taskset' : command[0]!, pinned ? ['-c', '0', ...command] : command.slice(1), (line) => tally.add(line));
  const stats = tally.stats ?? {};
  const counter = (path: string): number => {
    const value = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], stats);
    return typeof value === 'number' ? value : 0;
  };
  const detonations = counter('analyze.detonations');
  // every session is offered to triage once
  const sessions = counter('triage.offered');
  return {
    files: files.length,
    wallSeconds: measurement.wallSeconds,
    peakRssBytes: measurement.maxRssBytes,
    status: measurement.status,
    sessions,
    jobs: counter('analyze.jobs'),
    detonations,
    detonationsPerSecond: detonations / measurement.wallSeconds,
    sessionsPerSecond: sessions / measurement.wallSeconds,
    signatureHits: counter('triage.signature_hits'),
    verdicts: { events: tally.verdicts, byReplay: tally.byReplay, byLevel: tally.byLevel },
    copies: tally.copyAnswers(),
    stderrTail: measurement.stderr.slice(-2000),
  };
}

/** Reads the event stream line by line, so a large run's stdout is never held whole. */
class EventTally {
  verdicts = 0;
  byReplay: Record<string, number> = {};
  byLevel: Record<string, number> = {};
  stats: Record<string, unknown> | null = null;
  /** per sender (source address and port): how its verdicts came */
  private readonly copies = new Map<string, CopyAnswer>();

  add(line: string): void {
    if (line.length === 0) return;
    const event = JSON.parse(line) as PrintedEvent;
    if (event.event_type === 'stats') this.stats = event.stats ?? null;
    if (event.event_type !== 'verdict') return;
    this.verdicts++;
    const replay = event.replay ?? '?';
    const level = event.level ?? '?';
    this.byReplay[replay] = (this.byReplay[replay] ?? 0) + 1;
    this.byLevel[level] = (this.byLevel[level] ?? 0) + 1;
    // one event per sender and profile: a sender counts once, as replayed if any profile replayed its own session
    const key = `${event.src_ip}|${event.src_port}`;
    const answer = answerOf(event);
    if (this.copies.get(key) !== 'replayed') this.copies.set(key, answer);
  }

  copyAnswers(): Record<CopyAnswer, number> {
    const counts: Record<CopyAnswer, number> = { replayed: 0, deduped: 0, signature: 0, analysis: 0 };
    for (const answer of this.copies.values()) counts[answer]++;
    return counts;
  }
}

function answerOf(event: PrintedEvent): CopyAnswer {
  if (event.replay === 'signature') return 'signature';
  if (event.replay === 'analysis') return 'analysis';
  // the job's own session is its first sender; the others joined it as identical payloads
  const jobSession = event.senders?.[0]?.flow_ids?.[0];
  return jobSession === undefined || jobSession === event.flow_id ? 'replayed' : 'deduped';
}

interface WormReport extends AnalyzeRun {
  copiesSent: number;
}

/** Two pcaps of worm copies: the first copy alone, then the rest; distinct sources and targets. */
function writeWormCaptures(copies: number): [string, string] {
  const datagram = wormDatagram();
  const frames: Frame[] = [];
  for (let copy = 0; copy < copies; copy++) {
    const nanoseconds = copy * COPY_SPACING_NANOSECONDS;
    const time = { seconds: CAPTURE_START_SECONDS + Math.floor(nanoseconds / 1e9), nanoseconds: nanoseconds % 1e9 };
    frames.push(
      ...synthesizeUdpExchange({
        client: { ip: privateAddress(172, 16, copy), port: 1024 + (copy % 60_000), mac: macOf(0x10, copy) },
        server: { ip: privateAddress(10, 20, copy), port: SQL_RESOLUTION_PORT, mac: macOf(0x20, copy) },
        turns: [{ direction: 'to_server', data: datagram, time }],
      }),
    );
  }
  const first = join(outDir, 'worm-first-copy.pcap');
  const rest = join(outDir, 'worm-other-copies.pcap');
  writeFileSync(first, buildPcap(LinkType.ETHERNET, frames.slice(0, 1)));
  writeFileSync(rest, buildPcap(LinkType.ETHERNET, frames.slice(1)));
  return [first, rest];
}

/** the index-th host of a /16 beginning `a.b`, skipping .0 and .255 */
function privateAddress(a: number, b: number, index: number): string {
  const host = index % 254;
  const subnet = Math.floor(index / 254);
  return `${a}.${b + Math.floor(subnet / 256)}.${subnet % 256}.${host + 1}`;
}

function macOf(kind: number, index: number): string {
  const bytes = [0x02, kind, (index >> 24) & 0xff, (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff];
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

function printCorpus(run: AnalyzeRun): void {
  console.log(
    formatTable(
      ['analyze, whole corpus', 'value'],
      [
        ['files', String(run.files)],
        ['wall s', run.wallSeconds.toFixed(2)],
        ['peak RSS MiB', (run.peakRssBytes / MiB).toFixed(0)],
        ['sessions', String(run.sessions)],
        ['replay jobs', String(run.jobs)],
        ['detonations (job × profile leases)', String(run.detonations)],
        ['detonations/s (process wall)', run.detonationsPerSecond.toFixed(1)],
        ['sessions/s (process wall)', run.sessionsPerSecond.toFixed(1)],
        ['verdict events', `${run.verdicts.events} (${describe(run.verdicts.byLevel)})`],
        ['exit status', String(run.status)],
      ],
    ),
  );
  if (run.status !== 0) console.log(`stderr:\n${run.stderrTail}`);
}

function printWorm(run: WormReport): void {
  const share = (count: number): string => `${((100 * count) / run.copiesSent).toFixed(2)} %`;
  const { replayed, deduped, signature, analysis } = run.copies;
  const answered = replayed + deduped + signature + analysis;
  const compromised = (run.verdicts.byLevel.compromised ?? 0) > 0;
  console.log(
    formatTable(
      ['analyze, worm copies', 'value', 'share of copies'],
      [
        ['copies (distinct senders)', String(run.copiesSent), ''],
        ['wall s', run.wallSeconds.toFixed(2), ''],
        ['peak RSS MiB', (run.peakRssBytes / MiB).toFixed(0), ''],
        ['replay jobs', String(run.jobs), ''],
        ['detonations (job × profile leases)', String(run.detonations), ''],
        ['verdict events (sender × profile)', `${run.verdicts.events}: ${describe(run.verdicts.byReplay)}; ${describe(run.verdicts.byLevel)}`, ''],
        ['copies with a verdict', String(answered), share(answered)],
        ['  own session replayed', String(replayed), share(replayed)],
        ['  deduped onto a replayed copy (same file)', String(deduped), share(deduped)],
        ['  learned signature, no replay', String(signature), share(signature)],
        ['  analysis', String(analysis), share(analysis)],
        ['answered without a replay of their own', String(deduped + signature), share(deduped + signature)],
      ],
    ),
  );
  if (!compromised) console.log('the worm payload did not compromise a dummy: nothing was learned, so only dedupe saves replays');
  if (run.status !== 0) console.log(`exit ${run.status}; stderr:\n${run.stderrTail}`);
}

function describe(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([name, count]) => `${count} ${name}`)
    .join(', ');
}

function valueOf(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}
