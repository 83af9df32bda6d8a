/**
 * alert: what people and SIEMs see. EVE-style JSON events (verdict, host_compromise, response, stats; the
 * published shapes are in schemas/, described in docs/events.md) and per-verdict evidence folders
 * (pcaps, trace, replay bundle). Other folders import only this file.
 */
export { formatEventTimestamp, EVENT_TIMESTAMP_PATTERN } from './event-timestamp.ts';
export { EVIDENCE_KINDS, type EvidenceItem, type EvidenceKind } from './evidence-item.ts';
export { VERDICT_LEVELS, type VerdictLevel } from './verdict-level.ts';
export { buildVerdictEvent, type VerdictEvent, type VerdictEventInput, type VerdictMethod, type VerdictSender, type VerdictSignature } from './verdict-event.ts';
export { buildHostCompromiseEvent, type HostCompromiseEvent, type HostCompromiseEventInput } from './host-compromise-event.ts';
export { buildResponseEvent, RESPONSE_RULE_STATES, type ResponseEvent, type ResponseEventInput, type ResponseOutcome, type ResponseRuleState, type ResponseTarget } from './response-event.ts';
export { buildStatsEvent, STATS_SECTIONS, STATS_TOTAL_COUNTERS, type CounterTree, type StatsBody, type StatsEvent, type StatsEventInput } from './stats-event.ts';
export type { CrashtestEvent } from './crashtest-event.ts';
export { formatEventLine } from './format-event-line.ts';
export { formatMac } from './format-mac.ts';
export { crashtestVersion } from './crashtest-version.ts';
export * from './evidence/index.ts';
export * from './outputs/index.ts';
