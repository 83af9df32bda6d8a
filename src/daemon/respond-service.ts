import type { FrozenConfig } from '../config/index.ts';
import { Counters, CrashtestError } from '../core/index.ts';
import { createEnforcer, openResponseStore } from '../drivers/index.ts';
import { Responder, type AuditEntry, type AuditLog, type Rule, type RuleState, type RuleStore, type VerdictOutcome, type VerdictRef } from '../respond/index.ts';
import { openAttributionService, type AttributionService } from './attribution-service.ts';

export interface RespondServiceOptions {
  counters?: Counters;
  nowSeconds?: () => number;
  /** an attribution service the caller already runs; otherwise one is opened (and closed) here */
  attribution?: AttributionService;
}

/** The response stage wired to its drivers: rule store and audit log (SQLite), the configured enforcer. */
export interface RespondService {
  readonly responder: Responder;
  readonly store: RuleStore & AuditLog;
  readonly attribution: AttributionService;
  /** the enforcement driver's name and capabilities, for `respond list` and the API */
  readonly driver: { name: string; capabilities: Responder['enforcer']['capabilities'] };
  readonly closed: boolean;
  handleVerdict(verdict: VerdictRef, signal?: AbortSignal): Promise<VerdictOutcome>;
  list(states?: readonly RuleState[], limit?: number): Rule[];
  approve(ruleId: number, actor: string): Promise<Rule>;
  undo(ruleId: number, actor: string): Promise<Rule>;
  audit(filter?: { ruleId?: number; limit?: number }): AuditEntry[];
  /** runs TTL expiry now (the daemon also runs it on a timer after start()) */
  expireDue(): Promise<Rule[]>;
  start(): void;
  close(): void;
}

export function openRespondService(config: FrozenConfig, options: RespondServiceOptions = {}): RespondService {
  const counters = options.counters ?? new Counters();
  const ownsAttribution = options.attribution === undefined;
  const attribution = options.attribution ?? openAttributionService(config, { counters, nowSeconds: options.nowSeconds });
  const store = openResponseStore(config.respond);
  const enforcer = createEnforcer(config);
  const responder = new Responder({
    settings: config.respond,
    store,
    audit: store,
    enforcer,
    attribution: attribution.query,
    counters,
    nowSeconds: options.nowSeconds,
  });
  let closed = false;
  const assertOpen = () => {
    if (closed) throw new CrashtestError('CT_ERR_INVALID_STATE', 'respond service used after close()');
  };
  return {
    responder,
    store,
    attribution,
    driver: { name: enforcer.name, capabilities: enforcer.capabilities },
    get closed() {
      return closed;
    },
    handleVerdict: (verdict, signal) => responder.handleVerdict(verdict, signal),
    list: (states, limit) => {
      assertOpen();
      return responder.list(states, limit);
    },
    approve: (ruleId, actor) => responder.approve(ruleId, actor),
    undo: (ruleId, actor) => responder.undo(ruleId, actor),
    audit: (filter) => {
      assertOpen();
      return store.entries(filter);
    },
    expireDue: () => responder.expireDue(),
    start: () => responder.start(),
    close() {
      if (closed) return;
      closed = true;
      responder.close();
      store.close();
      if (ownsAttribution) attribution.close();
    },
  };
}

export { RULE_STATES, type AuditEntry, type Rule, type RuleState, type VerdictOutcome, type VerdictRef } from '../respond/index.ts';
