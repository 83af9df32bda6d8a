import { Attributor, AttributionQuery, PortPoller, type AttributionJournal, type WhoAnswer } from '../attribution/index.ts';
import type { FrozenConfig } from '../config/index.ts';
import { Counters, CrashtestError } from '../core/index.ts';
import { createForwardingTableReaders, openAttributionJournal } from '../drivers/index.ts';

export interface AttributionServiceOptions {
  counters?: Counters;
  /** wall clock in seconds (tests) */
  nowSeconds?: () => number;
  /** how often the journal is pruned while started (1 h) */
  pruneIntervalMs?: number;
}

/** The attribution stage wired to its drivers: the SQLite journal and the configured switches. */
export interface AttributionService {
  readonly journal: AttributionJournal;
  readonly query: AttributionQuery;
  /** feed it packets (IP→MAC) and ended sessions; `flush()` before shutdown */
  readonly attributor: Attributor;
  readonly poller: PortPoller;
  readonly counters: Counters;
  readonly closed: boolean;
  /** starts the poll schedule and hourly pruning */
  start(): void;
  /** `crashtest who`: where was this IP or MAC at that time; `poll` reads the switches first */
  who(address: string, atSeconds: number, options?: { poll?: boolean }): Promise<WhoAnswer>;
  close(): void;
}

export function openAttributionService(config: FrozenConfig, options: AttributionServiceOptions = {}): AttributionService {
  const counters = options.counters ?? new Counters();
  const nowSeconds = options.nowSeconds ?? (() => Date.now() / 1000);
  const journal = openAttributionJournal(config.attribution);
  const poller = new PortPoller({
    readers: createForwardingTableReaders(config.attribution),
    journal,
    counters,
    pollIntervalMs: config.attribution.pollIntervalMs,
    nowSeconds,
  });
  const attributor = new Attributor({ journal, counters, requestPoll: () => void poller.pollNow().catch(() => undefined) });
  const query = new AttributionQuery(journal);
  let pruneTimer: NodeJS.Timeout | null = null;
  let closed = false;
  const prune = () => {
    const result = journal.prune(nowSeconds());
    counters.add('attribution.retention_pruned', result.expiredRows);
    counters.add('attribution.size_pruned', result.sizeRows);
  };
  const assertOpen = () => {
    if (closed) throw new CrashtestError('CT_ERR_INVALID_STATE', 'attribution service used after close()');
  };
  return {
    journal,
    query,
    attributor,
    poller,
    counters,
    get closed() {
      return closed;
    },
    start() {
      assertOpen();
      prune();
      poller.start();
      pruneTimer ??= setInterval(prune, options.pruneIntervalMs ?? 3_600_000);
      pruneTimer.unref();
    },
    async who(address, atSeconds, whoOptions = {}) {
      assertOpen();
      if (whoOptions.poll) await poller.pollAll();
      return query.who(address, atSeconds);
    },
    close() {
      if (closed) return;
      closed = true;
      if (pruneTimer) clearInterval(pruneTimer);
      attributor.flush();
      poller.close();
      journal.close();
    },
  };
}

export type { WhoAnswer } from '../attribution/index.ts';
