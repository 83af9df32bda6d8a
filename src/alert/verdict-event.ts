import type { Session, Timestamp } from '../core/index.ts';
import { formatEventTimestamp } from './event-timestamp.ts';
import { formatMac } from './format-mac.ts';
import type { EvidenceItem } from './evidence-item.ts';
import type { VerdictLevel } from './verdict-level.ts';

/** How a verdict was reached. */
export type VerdictMethod = 'replayed' | 'signature' | 'group-test' | 'analysis';

export interface VerdictSignature {
  /** the learned signature's id */
  id: string;
  /** true when the signature decided without a replay (a repeat payload) */
  replay_skipped: boolean;
}

/** A host that sent the same payload. */
export interface VerdictSender {
  ip: string;
  /** colon-separated MAC, when the capture had one */
  mac?: string;
  /** the sessions in which it sent the payload */
  flow_ids: number[];
}

/** One verdict: a session (or group of them) judged against a dummy profile. */
export interface VerdictEvent {
  timestamp: string;
  flow_id: number;
  event_type: 'verdict';
  proto: 'TCP' | 'UDP';
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  level: VerdictLevel;
  profile: string;
  evidence: EvidenceItem[];
  signature?: VerdictSignature;
  vulnerability?: string;
  senders: VerdictSender[];
  profiles_tried: string[];
  replay: VerdictMethod;
  evidence_dir?: string;
}

export interface VerdictEventInput {
  /** when the verdict was reached */
  time: Timestamp;
  /** the causal session; its client is the source */
  session: Pick<Session, 'id' | 'proto' | 'client' | 'server'>;
  level: VerdictLevel;
  profile: string;
  evidence: readonly EvidenceItem[];
  method: VerdictMethod;
  signature?: { id: string; replaySkipped: boolean };
  vulnerability?: string;
  /** default: the session's client alone */
  senders?: readonly { ip: string; mac?: number | string; flowIds: readonly number[] }[];
  /** default: `[profile]` */
  profilesTried?: readonly string[];
  evidenceDir?: string;
  /** minutes east of UTC for the timestamp, default 0 */
  utcOffsetMinutes?: number;
}

/** Builds a verdict event; optional fields are left out, not set to null, as EVE does. */
export function buildVerdictEvent(input: VerdictEventInput): VerdictEvent {
  const { session } = input;
  const senders = input.senders ?? [{ ip: session.client.ip, mac: session.client.mac, flowIds: [session.id] }];
  const event: VerdictEvent = {
    timestamp: formatEventTimestamp(input.time, input.utcOffsetMinutes),
    flow_id: session.id,
    event_type: 'verdict',
    proto: session.proto === 'tcp' ? 'TCP' : 'UDP',
    src_ip: session.client.ip,
    src_port: session.client.port,
    dest_ip: session.server.ip,
    dest_port: session.server.port,
    level: input.level,
    profile: input.profile,
    evidence: input.evidence.map((item) => ({ ...item })),
    senders: senders.map((sender) => buildSender(sender.ip, sender.mac, sender.flowIds)),
    profiles_tried: [...(input.profilesTried ?? [input.profile])],
    replay: input.method,
  };
  if (input.signature !== undefined) event.signature = { id: input.signature.id, replay_skipped: input.signature.replaySkipped };
  if (input.vulnerability !== undefined) event.vulnerability = input.vulnerability;
  if (input.evidenceDir !== undefined) event.evidence_dir = input.evidenceDir;
  return event;
}

function buildSender(ip: string, mac: number | string | undefined, flowIds: readonly number[]): VerdictSender {
  const sender: VerdictSender = { ip, flow_ids: [...flowIds] };
  const text = typeof mac === 'number' ? formatMac(mac) : mac;
  if (text !== undefined) sender.mac = text;
  return sender;
}
