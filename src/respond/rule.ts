/**
 * Response rules, after Zeek's NetControl: a rule is requested, then applied or failed (or refused
 * by a safety rail, or withdrawn before it ran), and an applied rule ends expired (its TTL ran out
 * and the port was restored) or rolled back (a person undid it). The responder owns every
 * transition; drivers only report success or failure.
 */
import type { VerdictLevel } from './verdict-ref.ts';

export const RULE_STATES = ['requested', 'applied', 'failed', 'refused', 'expired', 'rolled_back'] as const;
export type RuleState = (typeof RULE_STATES)[number];

/** States a rule never leaves. */
export const FINAL_RULE_STATES: readonly RuleState[] = ['failed', 'refused', 'expired', 'rolled_back'];

export type RuleAction = 'port_down';

export interface RuleTarget {
  switchName: string;
  port: string;
  /** 0 when unknown (static maps); the SNMP driver then looks it up by ifName */
  ifIndex: number;
  mac: string;
  ip: string;
  /** capture time of the session the port was recorded for */
  captureSeconds: number;
  /** 'session': the journalled session named the port; 'mac-history': found from the MAC's port history */
  basis: 'session' | 'mac-history';
}

export interface RuleReason {
  sessionId: number;
  level: VerdictLevel;
  text: string;
}

export interface Rule {
  id: number;
  state: RuleState;
  action: RuleAction;
  target: RuleTarget;
  reason: RuleReason;
  /** who asked for it: 'verdict' for automatic rules */
  owner: string;
  /** enforcement driver that applies (or would apply) it */
  driver: string;
  ttlSeconds: number;
  createdSeconds: number;
  approvedBy: string | null;
  appliedSeconds: number | null;
  expiresSeconds: number | null;
  endedSeconds: number | null;
  /** refusal code, driver error or note, human-readable */
  detail: string;
}

export type NewRule = Omit<Rule, 'id'>;

/** Fields a transition may change together with the state. */
export type RulePatch = Partial<Pick<Rule, 'approvedBy' | 'appliedSeconds' | 'expiresSeconds' | 'endedSeconds' | 'detail' | 'driver'>> & { state: RuleState };

export interface RuleFilter {
  states?: readonly RuleState[];
  limit?: number;
}

/** Durable rules, shared by the daemon and CLI processes: every change is a compare-and-set on state. */
export interface RuleStore {
  insert(rule: NewRule): Rule;
  get(id: number): Rule | null;
  list(filter?: RuleFilter): Rule[];
  /** moves the rule to `patch.state` only if it is in one of `from`; null when it was not (someone else moved it) */
  transition(id: number, from: readonly RuleState[], patch: RulePatch): Rule | null;
  /** replaces the detail without changing state (a restore that failed and will be retried) */
  note(id: number, detail: string): void;
  /** rules applied at or after `seconds`, whatever their state now (the rate limit counts them) */
  countAppliedSince(seconds: number): number;
  /** a requested or applied rule on that port, if any */
  activeForPort(switchName: string, port: string): Rule | null;
  /** applied rules whose TTL ran out by `nowSeconds` */
  dueForExpiry(nowSeconds: number): Rule[];
}

export interface AuditEntry {
  seconds: number;
  /** requested, approved, applied, failed, refused, expired, rolled_back, restore_failed, declined … */
  event: string;
  ruleId: number | null;
  actor: string;
  detail: string;
}

/** Append-only: entries are never changed or removed (the SQLite implementation enforces it with triggers). */
export interface AuditLog {
  append(entry: AuditEntry): void;
  /** newest first */
  entries(filter?: { ruleId?: number; limit?: number }): AuditEntry[];
}
