import { CrashtestError, type Counters } from '../core/index.ts';
import type { ForwardingTableReader } from './forwarding-table.ts';
import type { AttributionJournal, MacPortObservation } from './journal.ts';

export interface PortPollerOptions {
  readers: readonly ForwardingTableReader[];
  journal: AttributionJournal;
  counters: Counters;
  pollIntervalMs: number;
  /** wall clock in seconds; tests pass a fake one */
  nowSeconds?: () => number;
  /** on-demand polls closer together than this are served by the running or last poll (5 s) */
  minOnDemandIntervalMs?: number;
}

export interface PollResult {
  switchName: string;
  entries: number;
  error: Error | null;
}

/**
 * Reads every switch's forwarding table on a schedule and on demand, and journals each row stamped
 * with the read time: switch tables forget a MAC within minutes, the journal keeps it.
 * A failing switch is counted (`attribution.poll_failed`) and does not stop the others.
 */
export class PortPoller {
  private readonly options: PortPollerOptions;
  private readonly nowSeconds: () => number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PollResult[]> | null = null;
  private lastPollMs = -Infinity;
  private isClosed = false;
  private readonly abort = new AbortController();

  constructor(options: PortPollerOptions) {
    this.options = options;
    this.nowSeconds = options.nowSeconds ?? (() => Date.now() / 1000);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Polls now and then every pollIntervalMs until close(). */
  start(): void {
    this.assertOpen();
    if (this.timer) return;
    // each switch's failure is already in its PollResult; what reaches here is unexpected, and counted
    const countFailure = () => this.options.counters.add('attribution.poll_errors');
    void this.pollNow().catch(countFailure);
    this.timer = setInterval(() => void this.pollAll().catch(countFailure), this.options.pollIntervalMs);
    this.timer.unref();
  }

  /** On demand (a session from an unknown MAC, a `who` query): joins a poll in flight, skips if one just ran. */
  async pollNow(): Promise<PollResult[]> {
    if (this.running) return this.running;
    if (Date.now() - this.lastPollMs < (this.options.minOnDemandIntervalMs ?? 5_000)) return [];
    return this.pollAll();
  }

  async pollAll(): Promise<PollResult[]> {
    this.assertOpen();
    if (this.running) return this.running;
    this.running = Promise.all(this.options.readers.map((reader) => this.pollOne(reader))).finally(() => {
      this.running = null;
      this.lastPollMs = Date.now();
    });
    return this.running;
  }

  private async pollOne(reader: ForwardingTableReader): Promise<PollResult> {
    const started = Date.now();
    try {
      const entries = await reader.readForwardingTable(this.abort.signal);
      if (this.isClosed) return { switchName: reader.switchName, entries: 0, error: null };
      const seconds = this.nowSeconds();
      const rows: MacPortObservation[] = entries.map((entry) => ({
        mac: entry.mac,
        vlan: entry.vlan,
        switchName: reader.switchName,
        port: entry.port,
        ifIndex: entry.ifIndex,
        source: entry.source,
        seconds,
      }));
      this.options.journal.recordMacPorts(rows);
      this.options.counters.add('attribution.polls');
      this.options.counters.add('attribution.fdb_entries', rows.length);
      this.options.counters.max('attribution.poll_ms_max', Date.now() - started);
      return { switchName: reader.switchName, entries: rows.length, error: null };
    } catch (error) {
      this.options.counters.add('attribution.poll_failed');
      return { switchName: reader.switchName, entries: 0, error: error as Error };
    }
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.abort.abort();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const reader of this.options.readers) reader.close();
  }

  private assertOpen(): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', 'port poller used after close()');
  }
}
