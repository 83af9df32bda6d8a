import type { Timestamp } from '../core/index.ts';
import { formatEventTimestamp } from './event-timestamp.ts';
import { formatMac } from './format-mac.ts';
import type { VerdictLevel } from './verdict-level.ts';

/** What the response stage made of a verdict: a rule, the rule that already covers the port, or nothing. */
export type ResponseOutcome = 'rule' | 'duplicate' | 'ignored';

/** The rule states of the response stage (src/respond), repeated here as the published enum. */
export const RESPONSE_RULE_STATES = ['requested', 'applied', 'failed', 'refused', 'expired', 'rolled_back'] as const;
export type ResponseRuleState = (typeof RESPONSE_RULE_STATES)[number];

/** The port a rule acts on, as journalled at the session's capture time. */
export interface ResponseTarget {
  switch: string;
  port: string;
  /** 0 when unknown (static maps) */
  if_index: number;
  mac: string;
  ip: string;
  /** capture time of the session the port was recorded for */
  capture_time: string;
  /** `session`: the journalled session named the port; `mac-history`: found from the MAC's port history */
  basis: 'session' | 'mac-history';
}

/**
 * One decision of the response stage about one verdict or compromised host: a separate event, not a
 * field of the verdict, because it has its own time, its own subject (the port, which a
 * host_compromise names as well) and its own life (a rule requested now is approved, applied and
 * expired later). `flow_id` and `src_ip` join it to the verdict that caused it.
 */
export interface ResponseEvent {
  timestamp: string;
  event_type: 'response';
  /** the event that asked for the action */
  cause: 'verdict' | 'host_compromise';
  /** the session whose source the action is against */
  flow_id: number;
  src_ip: string;
  src_mac?: string;
  level: VerdictLevel;
  /** why: the verdict or the host's behaviour, in words */
  reason: string;
  outcome: ResponseOutcome;
  /** true when the enforcement driver touches nothing */
  dry_run: boolean;
  driver: string;
  /** the rule's note: refusal code and facts, driver message, `awaiting approval`, why it was ignored */
  detail: string;
  rule_id?: number;
  state?: ResponseRuleState;
  action?: 'port_down';
  target?: ResponseTarget;
  /** the safety rail that refused the rule */
  refusal?: string;
  /** when an applied rule expires and the port is restored */
  expires?: string;
}

export interface ResponseEventInput {
  /** when the response stage decided */
  time: Timestamp;
  cause: ResponseEvent['cause'];
  flowId: number;
  srcIp: string;
  /** 48-bit MAC, -1 when unknown */
  srcMac: number;
  level: VerdictLevel;
  reason: string;
  outcome: ResponseOutcome;
  dryRun: boolean;
  driver: string;
  detail: string;
  rule?: { id: number; state: ResponseRuleState; action: 'port_down'; expiresSeconds: number | null };
  target?: { switchName: string; port: string; ifIndex: number; mac: string; ip: string; captureSeconds: number; basis: ResponseTarget['basis'] };
  refusal?: string;
  utcOffsetMinutes?: number;
}

function timestampOf(seconds: number): Timestamp {
  const whole = Math.floor(seconds);
  return { seconds: whole, nanoseconds: Math.min(999_999_999, Math.round((seconds - whole) * 1e9)) };
}

export function buildResponseEvent(input: ResponseEventInput): ResponseEvent {
  const mac = formatMac(input.srcMac);
  const event: ResponseEvent = {
    timestamp: formatEventTimestamp(input.time, input.utcOffsetMinutes),
    event_type: 'response',
    cause: input.cause,
    flow_id: input.flowId,
    src_ip: input.srcIp,
    ...(mac !== undefined ? { src_mac: mac } : {}),
    level: input.level,
    reason: input.reason,
    outcome: input.outcome,
    dry_run: input.dryRun,
    driver: input.driver,
    detail: input.detail,
  };
  if (input.rule) {
    event.rule_id = input.rule.id;
    event.state = input.rule.state;
    event.action = input.rule.action;
  }
  if (input.target) {
    const target = input.target;
    event.target = {
      switch: target.switchName,
      port: target.port,
      if_index: target.ifIndex,
      mac: target.mac,
      ip: target.ip,
      capture_time: formatEventTimestamp(timestampOf(target.captureSeconds), input.utcOffsetMinutes),
      basis: target.basis,
    };
  }
  if (input.refusal !== undefined) event.refusal = input.refusal;
  if (input.rule?.expiresSeconds != null) event.expires = formatEventTimestamp(timestampOf(input.rule.expiresSeconds), input.utcOffsetMinutes);
  return event;
}
