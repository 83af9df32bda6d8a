import type { Timestamp } from '../core/index.ts';
import { formatEventTimestamp } from './event-timestamp.ts';
import type { EvidenceItem } from './evidence-item.ts';

/**
 * A protected host itself behaving like an infected one (the same egress a dummy showed, a callback
 * to a sink address): not a dummy's verdict but a real machine to look at.
 */
export interface HostCompromiseEvent {
  timestamp: string;
  event_type: 'host_compromise';
  host_ip: string;
  evidence: EvidenceItem[];
  /** the rule that matched, e.g. `egress-matches-verdict` */
  rule: string;
  attacker_ip?: string;
  /** the sessions that showed it */
  flow_ids: number[];
}

export interface HostCompromiseEventInput {
  time: Timestamp;
  hostIp: string;
  evidence: readonly EvidenceItem[];
  rule: string;
  attackerIp?: string;
  flowIds: readonly number[];
  /** minutes east of UTC for the timestamp, default 0 */
  utcOffsetMinutes?: number;
}

export function buildHostCompromiseEvent(input: HostCompromiseEventInput): HostCompromiseEvent {
  const event: HostCompromiseEvent = {
    timestamp: formatEventTimestamp(input.time, input.utcOffsetMinutes),
    event_type: 'host_compromise',
    host_ip: input.hostIp,
    evidence: input.evidence.map((item) => ({ ...item })),
    rule: input.rule,
    flow_ids: [...input.flowIds],
  };
  if (input.attackerIp !== undefined) event.attacker_ip = input.attackerIp;
  return event;
}
