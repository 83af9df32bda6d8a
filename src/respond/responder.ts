import type { AttributedTarget, PortOccupancy } from '../attribution/index.ts';
import { formatMac } from '../attribution/index.ts';
import { CrashtestError, type Counters } from '../core/index.ts';
import type { Enforcer } from './enforcer.ts';
import type { AuditLog, Rule, RuleState, RuleStore, RuleTarget } from './rule.ts';
import { SafetyRails, type Refusal, type SafetyRailSettings } from './safety-rails.ts';
import { levelAtLeast, type VerdictLevel, type VerdictRef } from './verdict-ref.ts';

export interface ResponderSettings extends SafetyRailSettings {
  minimumLevel: VerdictLevel;
  approvalRequired: boolean;
  ruleTtlSeconds: number;
  expiryCheckIntervalMs: number;
}

/** The read side of attribution the responder needs (an `AttributionQuery` fits). */
export interface TargetLookup {
  targetForSession(sessionId: number, srcMac: number, srcIp: string): AttributedTarget | null;
  portOccupancy(switchName: string, port: string, fromSeconds: number, toSeconds: number): PortOccupancy;
}

export interface ResponderOptions {
  settings: ResponderSettings;
  store: RuleStore;
  audit: AuditLog;
  enforcer: Enforcer;
  attribution: TargetLookup;
  counters: Counters;
  /** wall clock in seconds; tests pass a fake one */
  nowSeconds?: () => number;
}

/** What became of a verdict. */
export type VerdictOutcome =
  | { kind: 'ignored'; reason: 'below_minimum_level' | 'no_attribution'; detail: string }
  | { kind: 'duplicate'; rule: Rule }
  | { kind: 'rule'; rule: Rule };

/**
 * Turns verdicts into port-down rules through one enforcement driver, behind the safety rails, and
 * owns every rule's life: request, approval, apply, expiry with restore, undo. Each step is a
 * compare-and-set in the rule store (the CLI approves from another process) and a line in the
 * append-only audit log.
 */
export class Responder {
  private readonly options: ResponderOptions;
  private readonly rails: SafetyRails;
  private readonly nowSeconds: () => number;
  private timer: NodeJS.Timeout | null = null;
  private expiring: Promise<Rule[]> | null = null;
  private isClosed = false;

  constructor(options: ResponderOptions) {
    this.options = options;
    this.nowSeconds = options.nowSeconds ?? (() => Date.now() / 1000);
    this.rails = new SafetyRails(options.settings, (...args) => options.attribution.portOccupancy(...args));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get enforcer(): Enforcer {
    return this.options.enforcer;
  }

  /** Checks for expired rules every expiryCheckIntervalMs until close(). */
  start(): void {
    this.assertOpen();
    if (this.timer) return;
    // a failure here (the rule store unreadable) must not kill the timer; it is counted, never silent
    this.timer = setInterval(
      () => void this.expireDue().catch(() => this.options.counters.add('respond.expiry_errors')),
      this.options.settings.expiryCheckIntervalMs,
    );
    this.timer.unref();
  }

  async handleVerdict(verdict: VerdictRef, signal?: AbortSignal): Promise<VerdictOutcome> {
    this.assertOpen();
    const { settings, counters } = this.options;
    counters.add('respond.verdicts');
    if (!levelAtLeast(verdict.level, settings.minimumLevel)) {
      counters.add('respond.ignored_level');
      return { kind: 'ignored', reason: 'below_minimum_level', detail: `${verdict.level} is below respond.minimumLevel ${settings.minimumLevel}` };
    }
    const attributed = this.options.attribution.targetForSession(verdict.sessionId, verdict.srcMac, verdict.srcIp);
    if (!attributed) {
      counters.add('respond.no_attribution');
      const detail = `session ${verdict.sessionId} from ${verdict.srcIp} ${formatMac(verdict.srcMac)}: no switch port recorded`;
      this.audit('no_attribution', null, 'verdict', detail);
      return { kind: 'ignored', reason: 'no_attribution', detail };
    }
    const target: RuleTarget = {
      switchName: attributed.switchName,
      port: attributed.port,
      ifIndex: attributed.ifIndex,
      mac: formatMac(attributed.mac),
      ip: attributed.ip,
      captureSeconds: attributed.captureSeconds,
      basis: attributed.basis,
    };
    const active = this.options.store.activeForPort(target.switchName, target.port);
    if (active) {
      counters.add('respond.duplicates');
      this.audit('duplicate', active.id, 'verdict', `session ${verdict.sessionId}: port already has rule ${active.id} (${active.state})`);
      return { kind: 'duplicate', rule: active };
    }
    const now = this.nowSeconds();
    let rule = this.options.store.insert({
      state: 'requested',
      action: 'port_down',
      target,
      reason: { sessionId: verdict.sessionId, level: verdict.level, text: verdict.reason },
      owner: 'verdict',
      driver: this.options.enforcer.name,
      ttlSeconds: settings.ruleTtlSeconds,
      createdSeconds: now,
      approvedBy: null,
      appliedSeconds: null,
      expiresSeconds: null,
      endedSeconds: null,
      detail: '',
    });
    counters.add('respond.requested');
    this.audit('requested', rule.id, 'verdict', `${target.switchName} ${target.port} (${target.mac} ${target.ip}, ${target.basis}) for session ${verdict.sessionId}: ${verdict.level}: ${verdict.reason}`);
    const protectedPort = this.rails.protectedPort(target, now);
    if (protectedPort) return { kind: 'rule', rule: this.refuse(rule, protectedPort) };
    if (settings.approvalRequired) {
      counters.add('respond.awaiting_approval');
      rule = this.options.store.transition(rule.id, ['requested'], { state: 'requested', detail: 'awaiting approval' }) ?? rule;
      this.audit('awaiting_approval', rule.id, 'responder', 'respond.approvalRequired is on: waiting for `crashtest respond approve`');
      return { kind: 'rule', rule };
    }
    return { kind: 'rule', rule: await this.apply(rule, 'verdict', signal) };
  }

  /** A person approves a waiting rule: the rails are checked again, then the driver applies it. */
  async approve(ruleId: number, actor: string, signal?: AbortSignal): Promise<Rule> {
    this.assertOpen();
    const rule = this.mustGet(ruleId);
    if (rule.state !== 'requested') {
      throw new CrashtestError('CT_ERR_INVALID_STATE', `rule ${ruleId} is ${rule.state}; only a requested rule can be approved`, { ruleId });
    }
    const protectedPort = this.rails.protectedPort(rule.target, this.nowSeconds());
    if (protectedPort) return this.refuse(rule, protectedPort);
    this.audit('approved', ruleId, actor, '');
    const approved = this.options.store.transition(ruleId, ['requested'], { state: 'requested', approvedBy: actor, detail: `approved by ${actor}` });
    if (!approved) return this.mustGet(ruleId);
    return this.apply(approved, actor, signal);
  }

  /** Withdraws a waiting rule, or rolls back an applied one (the port comes back up). */
  async undo(ruleId: number, actor: string, signal?: AbortSignal): Promise<Rule> {
    this.assertOpen();
    const rule = this.mustGet(ruleId);
    if (rule.state === 'requested') {
      const withdrawn = this.options.store.transition(ruleId, ['requested'], { state: 'rolled_back', endedSeconds: this.nowSeconds(), detail: `withdrawn by ${actor} before it was applied` });
      if (withdrawn) this.audit('rolled_back', ruleId, actor, 'withdrawn before it was applied');
      return withdrawn ?? this.mustGet(ruleId);
    }
    if (rule.state !== 'applied') {
      throw new CrashtestError('CT_ERR_INVALID_STATE', `rule ${ruleId} is ${rule.state}; only a requested or applied rule can be undone`, { ruleId });
    }
    return this.end(rule, 'rolled_back', actor, signal);
  }

  /** Restores every applied rule whose TTL ran out; a restore that fails stays applied and is retried. */
  async expireDue(signal?: AbortSignal): Promise<Rule[]> {
    if (this.isClosed) return [];
    if (this.expiring) return this.expiring;
    this.expiring = (async () => {
      const ended: Rule[] = [];
      for (const rule of this.options.store.dueForExpiry(this.nowSeconds())) {
        const result = await this.end(rule, 'expired', 'ttl', signal);
        if (result.state === 'expired') ended.push(result);
      }
      return ended;
    })().finally(() => {
      this.expiring = null;
    });
    return this.expiring;
  }

  list(states?: readonly RuleState[], limit = 100): Rule[] {
    return this.options.store.list({ states, limit });
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.options.enforcer.close();
  }

  private async apply(rule: Rule, actor: string, signal?: AbortSignal): Promise<Rule> {
    const { store, enforcer, counters } = this.options;
    const limited = this.rails.rateLimited(store, this.nowSeconds());
    if (limited) return this.refuse(rule, limited);
    const declined = enforcer.accepts(rule);
    if (declined) {
      counters.add('respond.declined');
      const failed = store.transition(rule.id, ['requested'], { state: 'failed', endedSeconds: this.nowSeconds(), detail: `declined by ${enforcer.name}: ${declined}` });
      this.audit('failed', rule.id, enforcer.name, `declined: ${declined}`);
      return failed ?? this.mustGet(rule.id);
    }
    const started = performance.now();
    try {
      const note = await enforcer.apply(rule, signal);
      const now = this.nowSeconds();
      const applied = store.transition(rule.id, ['requested'], { state: 'applied', appliedSeconds: now, expiresSeconds: now + rule.ttlSeconds, detail: note });
      counters.add('respond.applied');
      counters.max('respond.apply_ms_max', performance.now() - started);
      this.audit('applied', rule.id, actor, `${note} (via ${enforcer.name}, expires in ${rule.ttlSeconds} s)`);
      return applied ?? this.mustGet(rule.id);
    } catch (error) {
      counters.add('respond.failed');
      const message = (error as Error).message;
      const failed = store.transition(rule.id, ['requested'], { state: 'failed', endedSeconds: this.nowSeconds(), detail: message });
      this.audit('failed', rule.id, enforcer.name, message);
      return failed ?? this.mustGet(rule.id);
    }
  }

  private async end(rule: Rule, state: 'expired' | 'rolled_back', actor: string, signal?: AbortSignal): Promise<Rule> {
    const { store, enforcer, counters } = this.options;
    try {
      const note = await enforcer.remove(rule, signal);
      const ended = store.transition(rule.id, ['applied'], { state, endedSeconds: this.nowSeconds(), detail: note });
      counters.add(`respond.${state}`);
      this.audit(state, rule.id, actor, note);
      return ended ?? this.mustGet(rule.id);
    } catch (error) {
      // The port may still be down: keep the rule applied so the next check retries the restore.
      counters.add('respond.restore_failed');
      const message = `restore failed, will retry: ${(error as Error).message}`;
      store.note(rule.id, message);
      this.audit('restore_failed', rule.id, actor, message);
      if (state === 'rolled_back') throw error;
      return this.mustGet(rule.id);
    }
  }

  private refuse(rule: Rule, refusal: Refusal): Rule {
    this.options.counters.add(`respond.refused.${refusal.code}`);
    const refused = this.options.store.transition(rule.id, ['requested'], { state: 'refused', endedSeconds: this.nowSeconds(), detail: `${refusal.code}: ${refusal.detail}` });
    this.audit('refused', rule.id, 'safety-rails', `${refusal.code}: ${refusal.detail}`);
    return refused ?? this.mustGet(rule.id);
  }

  private mustGet(ruleId: number): Rule {
    const rule = this.options.store.get(ruleId);
    if (!rule) throw new CrashtestError('CT_ERR_RULE_NOT_FOUND', `no response rule with id ${ruleId}`, { ruleId });
    return rule;
  }

  private audit(event: string, ruleId: number | null, actor: string, detail: string): void {
    this.options.audit.append({ seconds: this.nowSeconds(), event, ruleId, actor, detail });
  }

  private assertOpen(): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', 'responder used after close()');
  }
}
