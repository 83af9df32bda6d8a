/**
 * A DashboardSource fed by an analyze run over capture files: what the web side and its browser
 * tests use without live capture or root. The farm stays up (warm dummies show on the farm page),
 * the response stage's rules stay approvable, and `publish` lets a test make a verdict "arrive".
 */
import { statSync } from 'node:fs';
import type { CrashtestEvent } from '../alert/index.ts';
import { defaultConfig, type FrozenConfig } from '../config/index.ts';
import { Counters } from '../core/index.ts';
import type { Rule } from '../respond/index.ts';
import type { PoolSnapshot } from '../sandbox/index.ts';
import { analyzeCaptures, type AnalyzeSummary } from './analyze-service.ts';
import { DashboardFeed } from './dashboard-feed.ts';
import { ACTIVE_ACTION_STATES, type DashboardSource, type SeriesPoint, type VerdictDetail } from './dashboard-source.ts';
import { createEmulatedFarm, type EmulatedFarm } from './emulated-farm.ts';
import { renderMetrics } from './metrics.ts';
import { openRespondService, type RespondService } from './respond-service.ts';

export interface OfflineDashboardOptions {
  /** with a config, verdicts go through its response stage (dry run) and its rules can be approved */
  config?: FrozenConfig;
  evidenceDir?: string;
  dwellMs?: number;
  /** events kept (default 1000) */
  recentEvents?: number;
}

export class OfflineDashboardSource implements DashboardSource {
  private readonly feed: DashboardFeed;
  private readonly points: SeriesPoint[] = [];
  private respond: RespondService | null = null;
  private isClosed = false;
  summary: AnalyzeSummary | null = null;

  private constructor(
    private readonly counters: Counters,
    private readonly farmHandle: EmulatedFarm,
    private readonly config: FrozenConfig | undefined,
    recentEvents: number,
  ) {
    this.feed = new DashboardFeed(recentEvents, counters);
  }

  /** Analyses the files (every event published in order), then stays open for the dashboard. */
  static async fromCaptures(files: readonly string[], options: OfflineDashboardOptions = {}): Promise<OfflineDashboardSource> {
    const counters = new Counters();
    const farm = createEmulatedFarm({ counters, warmPerProfile: 0 });
    const source = new OfflineDashboardSource(counters, farm, options.config, options.recentEvents ?? 1_000);
    try {
      const started = Date.now();
      source.summary = await analyzeCaptures(files, {
        counters,
        farm,
        onEvent: (event) => source.feed.publish(event),
        observer: {
          verdict: (record, event, evidenceDir) => source.feed.noteVerdict(record, event, evidenceDir),
          response: (record, event) => source.feed.noteResponse(record, event),
        },
        ...(options.evidenceDir !== undefined ? { evidenceDir: options.evidenceDir } : {}),
        ...(options.dwellMs !== undefined ? { dwellMs: options.dwellMs } : {}),
        ...(options.config ? { config: options.config } : {}),
      });
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
      source.points.push({ time: Date.now() / 1000, bytesPerSecond: bytes / seconds, queueDepth: 0, drops: 0 });
      if (options.config) source.respond = openRespondService(options.config, { counters });
    } catch (error) {
      await source.close();
      throw error;
    }
    return source;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Sends an event to subscribers as if it had just happened (browser tests: "a verdict arrives"). */
  publish(event: CrashtestEvent): void {
    this.feed.publish(event);
  }

  recentEvents(limit: number): CrashtestEvent[] {
    return this.feed.recent(limit);
  }

  subscribe(listener: (event: CrashtestEvent) => void): () => void {
    return this.feed.subscribe(listener);
  }

  verdictDetail(flowId: number, profile: string): VerdictDetail | null {
    return this.feed.detail(flowId, profile);
  }

  farm(): PoolSnapshot {
    return this.farmHandle.pool.snapshot();
  }

  series(): SeriesPoint[] {
    return [...this.points];
  }

  activeActions(): Rule[] {
    return this.respond?.list(ACTIVE_ACTION_STATES) ?? [];
  }

  approve(ruleId: number, by: string): Promise<Rule> {
    return this.respondService().approve(ruleId, by);
  }

  undo(ruleId: number, by: string): Promise<Rule> {
    return this.respondService().undo(ruleId, by);
  }

  metrics(): Promise<string> {
    return renderMetrics({ counters: this.counters, pool: this.farm() });
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.respond?.close();
    await this.farmHandle.close();
  }

  private respondService(): RespondService {
    if (this.respond) return this.respond;
    return (this.respond = openRespondService(this.config ?? defaultConfig(), { counters: this.counters }));
  }
}
