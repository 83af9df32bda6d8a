/**
 * `crashtest run`: the live sensor. One tcpdump per interface → decode → one flow table (session ids
 * stay unique across interfaces) → ended sessions into a bounded analysis queue → the same
 * SessionAnalyzer as `analyze` → verdict events, the response stage, the outputs and the dashboard.
 *
 * Lifecycle (STYLE.md 5): `Sensor.start()` resolves once every capture listens; `close()` stops
 * capture, ends every open session, drains the queue, answers pending verdicts, reverts every dummy,
 * flushes the journal and closes the outputs; `destroy()` aborts now. Both idempotent.
 */
import { buildHostCompromiseEvent, buildStatsEvent, EvidenceWriter, type CrashtestEvent, type EventOutput, type EvidenceItem as AlertEvidenceItem } from '../alert/index.ts';
import { INTERFACE_DROP_FIELDS, InterfaceDropReader, LiveCaptureSource, type LiveCaptureDeath, type LiveCaptureStats } from '../capture/index.ts';
import type { FrozenConfig } from '../config/index.ts';
import { Counters, CrashtestError, type Session } from '../core/index.ts';
import { PacketDecoder } from '../decode/index.ts';
import { createEventOutputs } from '../drivers/index.ts';
import { FlowTable } from '../flow/index.ts';
import type { Rule } from '../respond/index.ts';
import type { PoolSnapshot } from '../sandbox/index.ts';
import { ProtectedNetworks } from '../triage/index.ts';
import type { HostCompromiseFinding } from '../verdict/index.ts';
import { SessionAnalyzer, type VerdictRecord } from './analyze-job.ts';
import { openAnalyzeResponse, responseEvent, type AnalyzeResponse } from './analyze-response.ts';
import { verdictEvent, writeEvidence } from './analyze-service.ts';
import { DashboardFeed } from './dashboard-feed.ts';
import { ACTIVE_ACTION_STATES, type DashboardSource, type SeriesPoint, type VerdictDetail } from './dashboard-source.ts';
import { createFarmFromConfig, type Farm } from './farm-from-config.ts';
import { renderMetrics } from './metrics.ts';
import { loadSignatureFile, saveSignatureFile } from './signatures-service.ts';
import { SpoolEvidence } from './spool-evidence.ts';

export interface SensorOptions {
  /** every event, after the outputs (the CLI prints them with outputs.stdout) */
  onEvent?: (event: CrashtestEvent) => void;
  /** operator log lines (start, reload, capture death); default stderr */
  log?: (line: string) => void;
  /** replaces the configured outputs (tests) */
  outputs?: EventOutput[];
}

export interface ReloadResult {
  applied: string[];
  /** keys that changed but take effect only after a restart */
  needsRestart: string[];
}

/** Sections and keys read once at start: a reload that changes them is logged, not applied. */
const RESTART_KEYS = ['sensor.interfaces', 'sensor.bpfFilter', 'sensor.snaplenBytes', 'sensor.bufferKiB', 'sensor.immediate', 'sensor.tcpdumpPath', 'sensor.enforce', 'sensor.signaturesFile', 'sensor.evidenceDir', 'sensor.spoolDir', 'sensor.spoolFileBytes', 'sensor.spoolFiles', 'decode', 'flow', 'pool', 'triage', 'attribution', 'respond', 'web.listenAddress', 'web.port', 'web.enabled', 'dummies'];

interface Queued {
  session: Session;
  /** wall-clock ms when the flow table ended it */
  endedMs: number;
}

export class Sensor implements DashboardSource {
  readonly counters = new Counters();
  private config: FrozenConfig;
  private readonly log: (line: string) => void;
  private readonly feed: DashboardFeed;
  private readonly farmHandle: Farm;
  private readonly decoder: PacketDecoder;
  private readonly table: FlowTable;
  private readonly analyzer: SessionAnalyzer;
  private readonly response: AnalyzeResponse;
  private readonly evidence: EvidenceWriter | null;
  /** the raw frames evidence session.pcap files are cut from; only with an evidence directory */
  private readonly spool: SpoolEvidence | null;
  private outputs: EventOutput[];
  private readonly ownsOutputs: boolean;
  private captures: LiveCaptureSource[] = [];
  private queue: Queued[] = [];
  private readonly points: SeriesPoint[] = [];
  private timers: NodeJS.Timeout[] = [];
  private wake: (() => void) | null = null;
  private worker: Promise<void> = Promise.resolve();
  private batchVerdicts: VerdictRecord[] = [];
  private batchFindings: HostCompromiseFinding[] = [];
  private capturedBytes = 0;
  private analyzing = 0;
  private lastSample = { bytes: 0, drops: 0, backlogDrops: 0, ms: Date.now() };
  /** each tcpdump's latest counts; a stopped or dead one keeps its last report, so its drops stay counted */
  private readonly captureStats = new Map<LiveCaptureSource, LiveCaptureStats>();
  /** the interfaces' own drop counters and the host's backlog, as deltas since start */
  private dropReader: InterfaceDropReader | null = null;
  private readonly unreadableInterfaces = new Set<string>();
  private state: 'starting' | 'running' | 'closing' | 'closed' = 'starting';
  private closing: Promise<void> | null = null;
  private readonly startedMs = Date.now();
  private readonly abort = new AbortController();

  private constructor(config: FrozenConfig, private readonly options: SensorOptions) {
    this.config = config;
    this.log = options.log ?? ((line) => process.stderr.write(`crashtest: ${line}\n`));
    this.feed = new DashboardFeed(config.sensor.recentEvents, this.counters);
    // first: it refuses a farm that cannot run here (CT_ERR_NETNS_UNAVAILABLE …) before anything is opened
    this.farmHandle = createFarmFromConfig(config, { counters: this.counters, log: this.log });
    this.decoder = new PacketDecoder(config.decode, this.counters);
    this.table = new FlowTable(config.flow, this.counters, (session) => this.offer(session), { turnLifetime: 'owned' });
    this.response = openAnalyzeResponse(config, { counters: this.counters, enforce: config.sensor.enforce, live: true });
    this.evidence = config.sensor.evidenceDir === '' ? null : new EvidenceWriter(config.sensor.evidenceDir);
    this.spool = this.evidence ? new SpoolEvidence(config.sensor, this.counters, this.log) : null;
    this.ownsOutputs = options.outputs === undefined;
    this.outputs = options.outputs ?? createEventOutputs(config.outputs, this.counters);
    this.analyzer = new SessionAnalyzer(
      {
        catalogue: this.farmHandle.catalogue,
        lease: this.farmHandle.lease,
        counters: this.counters,
        protectedNetworks: config.triage.protectEveryReceiver ? ProtectedNetworks.everyReceiver() : ProtectedNetworks.fromCidrs(config.triage.protectedNetworks),
        dwellMs: config.pool.dwellMs,
        ...(config.sensor.signaturesFile !== '' ? { signatures: loadSignatureFile(config.sensor.signaturesFile) } : {}),
        onSessions: (source, sessions) => {
          this.spool?.noteSessions(sessions);
          return this.response.beginFile(source, sessions);
        },
        onVerdict: (verdict) => {
          this.batchVerdicts.push(verdict);
          this.response.noteVerdict(verdict);
        },
        onHostCompromise: (finding) => {
          this.batchFindings.push(finding);
          this.response.noteHostCompromise(finding);
        },
        signal: this.abort.signal,
      },
      { watchAcrossBatches: true, keepResults: false },
    );
  }

  /** Opens every configured interface and starts the pipeline; rejects with CT_ERR_CAPTURE_LIVE. */
  static async start(config: FrozenConfig, options: SensorOptions = {}): Promise<Sensor> {
    if (config.sensor.interfaces.length === 0) throw new CrashtestError('CT_ERR_CONFIG_INVALID', 'sensor.interfaces is empty: name at least one interface to capture on', { key: 'sensor.interfaces' });
    const sensor = new Sensor(config, options);
    sensor.dropReader = new InterfaceDropReader(config.sensor.interfaces);
    try {
      for (const name of config.sensor.interfaces) sensor.captures.push(await sensor.openCapture(name));
    } catch (error) {
      await sensor.close();
      throw error;
    }
    sensor.state = 'running';
    sensor.worker = sensor.work();
    sensor.startTimers();
    sensor.log(`capturing on ${config.sensor.interfaces.join(', ')}${config.sensor.bpfFilter ? ` (filter ${config.sensor.bpfFilter})` : ''}`);
    return sensor;
  }

  get closed(): boolean {
    return this.state === 'closing' || this.state === 'closed';
  }

  /** Sessions waiting for analysis, plus the batch under way. */
  get queueDepth(): number {
    return this.queue.length + this.analyzing;
  }

  private openCapture(name: string): Promise<LiveCaptureSource> {
    const sensor = this.config.sensor;
    const spool = this.spool?.spoolFor(name);
    return LiveCaptureSource.open({
      interface: name,
      filter: sensor.bpfFilter,
      snaplen: sensor.snaplenBytes,
      bufferKiB: sensor.bufferKiB,
      immediate: sensor.immediate,
      tcpdumpPath: sensor.tcpdumpPath,
      onFrame: (frame) => {
        this.capturedBytes += frame.data.length;
        spool?.append(frame);
        const packet = this.decoder.decode(frame);
        if (packet === null) return;
        this.response.observePacket(packet);
        this.table.add(packet);
      },
      onDied: (death: LiveCaptureDeath) => {
        this.counters.add('capture.live_died');
        this.log(`${death.error.message}; the other interfaces keep running`);
      },
    });
  }

  /** An ended session: queued for analysis, or counted when the queue is full (drop_newest). */
  private offer(session: Session): void {
    this.counters.add('sensor.sessions');
    if (this.queue.length >= this.config.sensor.queueCapacity) {
      this.counters.add('sensor.queue.overflow_dropped');
      return;
    }
    this.queue.push({ session, endedMs: Date.now() });
    this.counters.max('sensor.queue.depth_peak', this.queue.length);
    this.wake?.();
  }

  /** The analysis loop: batches of sessions that have settled, one batch at a time. */
  private async work(): Promise<void> {
    for (;;) {
      const draining = this.state !== 'running';
      if (this.queue.length === 0) {
        if (draining) return;
        await this.sleep(null);
        continue;
      }
      const settleMs = draining ? 0 : this.config.sensor.settleMs;
      const readyAt = this.queue[0]!.endedMs + settleMs;
      if (readyAt > Date.now()) {
        await this.sleep(readyAt - Date.now());
        continue;
      }
      const cutoff = Date.now() - settleMs;
      const split = this.queue.findIndex((queued) => queued.endedMs > cutoff);
      const batch = split < 0 ? this.queue : this.queue.slice(0, split);
      this.queue = split < 0 ? [] : this.queue.slice(split);
      await this.analyzeBatch(batch.map((queued) => queued.session));
    }
  }

  private sleep(ms: number | null): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === null ? null : setTimeout(done, ms);
      function done(): void {
        if (timer) clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private async analyzeBatch(sessions: Session[]): Promise<void> {
    this.analyzing = sessions.length;
    try {
      await this.analyzer.analyze('live', sessions);
      const cuts = this.spool ? await this.spool.cut(this.batchVerdicts) : null;
      for (const verdict of this.batchVerdicts) {
        let evidenceDir: string | undefined;
        const cut = cuts?.get(verdict);
        if (this.evidence) evidenceDir = (await writeEvidence(this.evidence, verdict, cut?.frames ?? [], cut?.note)).dir;
        const event = verdictEvent(verdict, evidenceDir);
        this.feed.noteVerdict(verdict, event, evidenceDir);
        this.emit(event);
      }
      for (const finding of this.batchFindings) {
        this.emit(
          buildHostCompromiseEvent({
            time: finding.timestamp,
            hostIp: finding.hostIp,
            evidence: finding.evidence as unknown as AlertEvidenceItem[],
            rule: finding.rule,
            ...(finding.attackerIp ? { attackerIp: finding.attackerIp } : {}),
            flowIds: finding.sessionIds,
          }),
        );
      }
      for (const record of await this.response.takeDecisions()) {
        const event = responseEvent(record);
        this.feed.noteResponse(record, event);
        this.emit(event);
      }
    } catch (error) {
      if (this.abort.signal.aborted) return;
      // a bug in one batch must not stop the sensor: counted, logged, the next batch runs
      this.counters.add('sensor.analysis_failed', sessions.length);
      this.log(`analysis of ${sessions.length} session(s) failed: ${(error as Error).stack ?? String(error)}`);
    } finally {
      this.batchVerdicts = [];
      this.batchFindings = [];
      this.analyzing = 0;
    }
  }

  private emit(event: CrashtestEvent): void {
    for (const output of this.outputs) output.write(event);
    this.feed.publish(event);
    this.options.onEvent?.(event);
  }

  private startTimers(): void {
    const sensor = this.config.sensor;
    const every = (ms: number, run: () => void | Promise<void>): void => {
      const timer = setInterval(() => void Promise.resolve(run()).catch((error: unknown) => this.log(`timer failed: ${(error as Error).message}`)), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(sensor.flowSweepIntervalMs, () => this.table.expire(Date.now() / 1000));
    every(sensor.seriesIntervalMs, () => this.sample());
    every(sensor.statsIntervalMs, () => this.emitStats());
  }

  private restartTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.startTimers();
  }

  /**
   * Drops so far into the counters registry: every tcpdump's ring (SIGUSR1; a stopped one's last
   * report), the interfaces' own drop counters and the host's softnet backlog (deltas since start).
   */
  async refreshStats(): Promise<void> {
    for (const capture of this.captures) {
      if (capture.closed) continue;
      try {
        this.captureStats.set(capture, await capture.stats());
      } catch {
        this.counters.add('capture.stats_failed');
      }
    }
    this.countCaptureDrops();
    this.counters.set('capture.bytes', this.capturedBytes);
    this.counters.set('sensor.queue.depth', this.queueDepth);
  }

  private countCaptureDrops(): void {
    let kernel = 0;
    let interfaceDrops = 0;
    for (const stats of this.captureStats.values()) {
      kernel += stats.droppedByKernel;
      interfaceDrops += stats.droppedByInterface;
    }
    this.counters.set('capture.kernel_dropped', kernel);
    this.counters.set('capture.interface_dropped', interfaceDrops);
    if (this.dropReader === null) return;
    const sample = this.dropReader.sample();
    for (const field of INTERFACE_DROP_FIELDS) this.counters.set(`capture.interface_${field}`, sample.total[field]);
    if (sample.backlogDropped !== null) this.counters.set('capture.backlog_dropped', sample.backlogDropped);
    for (const [name, counts] of Object.entries(sample.interfaces)) {
      if (counts !== null) continue;
      this.counters.add('capture.interface_stats_unreadable');
      if (!this.unreadableInterfaces.has(name)) this.log(`cannot read /sys/class/net/${name}/statistics: drops on ${name} before capture are not counted`);
      this.unreadableInterfaces.add(name);
    }
  }

  /**
   * Packets this sensor lost, each counted once: the kernel ring, the interfaces' own counters, frames
   * left unread at stop, sessions the analysis queue refused. Not added: capture.interface_dropped
   * (libpcap's rx_missed_errors + rx_fifo_errors again) and capture.backlog_dropped (host-wide, and a
   * backlog drop is also in the interface's rx_dropped).
   */
  private drops(): number {
    let drops = this.counters.get('capture.kernel_dropped') + this.counters.get('capture.unread_at_stop') + this.counters.get('sensor.queue.overflow_dropped');
    for (const field of INTERFACE_DROP_FIELDS) drops += this.counters.get(`capture.interface_${field}`);
    return drops;
  }

  /** The periodic stats log line of `crashtest run`: every drop counter since start. */
  private dropsLine(): string {
    const counter = (name: string): number => this.counters.get(name);
    const fields = INTERFACE_DROP_FIELDS.map((field) => `${field} ${counter(`capture.interface_${field}`)}`).join(', ');
    return `drops since start: ${this.drops()} (kernel ring ${counter('capture.kernel_dropped')}; interfaces ${fields}; unread at stop ${counter('capture.unread_at_stop')}; analysis queue ${counter('sensor.queue.overflow_dropped')} sessions); host-wide softnet backlog ${counter('capture.backlog_dropped')}`;
  }

  private async sample(): Promise<void> {
    await this.refreshStats();
    const now = Date.now();
    const seconds = Math.max(0.001, (now - this.lastSample.ms) / 1000);
    const drops = this.drops();
    const backlogDrops = this.counters.get('capture.backlog_dropped');
    this.points.push({ time: now / 1000, bytesPerSecond: (this.capturedBytes - this.lastSample.bytes) / seconds, queueDepth: this.queueDepth, drops: drops - this.lastSample.drops, hostBacklogDrops: backlogDrops - this.lastSample.backlogDrops });
    if (this.points.length > this.config.sensor.seriesPoints) this.points.splice(0, this.points.length - this.config.sensor.seriesPoints);
    this.lastSample = { bytes: this.capturedBytes, drops, backlogDrops, ms: now };
  }

  private async emitStats(): Promise<void> {
    await this.refreshStats();
    this.log(this.dropsLine());
    const now = Date.now() / 1000;
    this.emit(buildStatsEvent({ time: { seconds: Math.floor(now), nanoseconds: Math.floor((now % 1) * 1e9) }, counters: this.counters.snapshot(), uptimeSeconds: Math.floor((Date.now() - this.startedMs) / 1000) }));
  }

  /**
   * SIGHUP: outputs are reopened (logrotate) and re-made when their settings changed; intervals,
   * queue bound, settle time and the dashboard's event count apply at once. Everything read at start
   * (interfaces, filter, flow, pool, triage, attribution, respond, web listener) needs a restart,
   * and each such key that changed is named in the result and the log.
   */
  async reload(next: FrozenConfig): Promise<ReloadResult> {
    if (this.closed) throw new CrashtestError('CT_ERR_INVALID_STATE', 'sensor reloaded after close()');
    const previous = this.config;
    const needsRestart = RESTART_KEYS.filter((key) => JSON.stringify(pick(previous, key)) !== JSON.stringify(pick(next, key)));
    const applied: string[] = [];
    if (this.ownsOutputs && JSON.stringify(previous.outputs) !== JSON.stringify(next.outputs)) {
      const old = this.outputs;
      this.outputs = createEventOutputs(next.outputs, this.counters);
      await Promise.all(old.map((output) => output.close()));
      applied.push('outputs');
    } else {
      await Promise.all(this.outputs.map((output) => output.reopen()));
      applied.push('outputs reopened');
    }
    // the keys read at start keep their old values until the restart
    const live = { ...next, sensor: { ...next.sensor } } as { -readonly [K in keyof FrozenConfig]: FrozenConfig[K] };
    for (const key of RESTART_KEYS) restore(live, previous, key);
    this.config = live as FrozenConfig;
    for (const key of ['statsIntervalMs', 'seriesIntervalMs', 'flowSweepIntervalMs', 'settleMs', 'queueCapacity', 'recentEvents', 'seriesPoints'] as const) {
      if (previous.sensor[key] !== next.sensor[key]) applied.push(`sensor.${key}`);
    }
    this.feed.resize(next.sensor.recentEvents);
    this.restartTimers();
    if (JSON.stringify(previous.web) !== JSON.stringify(next.web)) applied.push('web tokens');
    this.counters.add('sensor.reloads');
    this.log(`reloaded: ${applied.join(', ')}${needsRestart.length > 0 ? `; needs a restart to take effect: ${needsRestart.join(', ')}` : ''}`);
    this.wake?.();
    return { applied, needsRestart };
  }

  /** The config in force (after reloads: the reloadable keys new, the rest as at start). */
  currentConfig(): FrozenConfig {
    return this.config;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Aborts now: captures killed, the analysis under way abandoned, dummies destroyed with the pool. */
  destroy(): void {
    if (this.state === 'closed') return;
    this.abort.abort();
    for (const capture of this.captures) capture.destroy();
    this.spool?.destroy();
    void this.close();
  }

  private async shutdown(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'closing';
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    try {
      // tcpdump flushes what it holds on SIGINT; then every open session ends and joins the queue
      const summaries = await Promise.all(this.captures.map((capture) => capture.close()));
      for (const [index, summary] of summaries.entries()) {
        this.captureStats.set(this.captures[index]!, summary);
        this.counters.add('capture.unread_at_stop', summary.undelivered);
      }
      this.countCaptureDrops();
      this.table.flush('shutdown');
      this.wake?.();
      await this.worker;
      if (wasRunning) await this.emitStats().catch(() => undefined);
      if (this.config.sensor.signaturesFile !== '') saveSignatureFile(this.config.sensor.signaturesFile, this.analyzer.result().signatures);
    } finally {
      this.response.close(); // flushes the attribution journal
      await this.spool?.close(); // its frames served this run's evidence only
      await this.farmHandle.close(); // reverts and closes every dummy
      if (this.ownsOutputs) await Promise.all(this.outputs.map((output) => output.close()));
      this.state = 'closed';
      this.log('stopped');
    }
  }

  recentEvents(limit: number): CrashtestEvent[] {
    return this.feed.recent(limit);
  }

  subscribe(listener: (event: CrashtestEvent) => void): () => void {
    return this.feed.subscribe(listener);
  }

  verdictDetail(flowId: number, profile: string): VerdictDetail | null {
    const detail = this.feed.detail(flowId, profile);
    if (detail && detail.attribution.port === null && !this.response.closed) {
      const seconds = detail.transcript[0]?.time ?? Date.now() / 1000;
      this.feed.noteWho(flowId, profile, this.response.respond.attribution.query.who(detail.attribution.host, seconds));
    }
    return this.feed.detail(flowId, profile);
  }

  farm(): PoolSnapshot {
    return this.farmHandle.snapshot();
  }

  series(): SeriesPoint[] {
    return [...this.points];
  }

  activeActions(): Rule[] {
    return this.response.respond.list(ACTIVE_ACTION_STATES);
  }

  approve(ruleId: number, by: string): Promise<Rule> {
    return this.response.respond.approve(ruleId, by);
  }

  undo(ruleId: number, by: string): Promise<Rule> {
    return this.response.respond.undo(ruleId, by);
  }

  async metrics(): Promise<string> {
    this.counters.set('sensor.queue.depth', this.queueDepth);
    return renderMetrics({ counters: this.counters, pool: this.farm(), gauges: { 'sensor.queue.depth': this.queueDepth, 'capture.interfaces': this.captures.filter((capture) => !capture.closed).length } });
  }
}

function pick(config: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], config);
}

function restore(target: Record<string, unknown>, previous: unknown, key: string): void {
  const parts = key.split('.');
  if (parts.length === 1) {
    target[parts[0]!] = pick(previous, key);
    return;
  }
  const section = { ...(target[parts[0]!] as Record<string, unknown>) };
  section[parts[1]!] = pick(previous, key);
  target[parts[0]!] = section;
}
