/**
 * What the web dashboard and API read and do, in one interface: the live `Sensor` implements it,
 * and so does `OfflineDashboardSource` (fed by an analyze run over capture files) so the web side
 * and its browser tests work without live capture or root.
 */
import type { CrashtestEvent } from '../alert/index.ts';
import type { Rule, RuleState } from '../respond/index.ts';
import type { PoolSnapshot } from '../sandbox/index.ts';

/** One turn of the causal session, as the dashboard shows it (text and hex are rendered by the page). */
export interface TranscriptTurn {
  direction: 'to_server' | 'to_client';
  /** the turn's payload, base64 */
  bytes: string;
  /** capture time of the turn's first byte, seconds since the epoch (fractional) */
  time: number;
  /** the payload length before the transcript cap (bytes is cut at MAX_TRANSCRIPT_BYTES_PER_TURN) */
  length: number;
}

/** A file in the verdict's evidence folder, to be offered as a download. */
export interface EvidenceFile {
  /** file name inside the folder: session.pcap, egress.pcap, trace.txt, bundle.json, verdict.json */
  name: string;
  /** absolute path on the daemon's disk (the API streams it; never shown to the browser) */
  path: string;
  size: number;
}

/** Where the sender sat on the network when it sent the causal session. */
export interface VerdictAttribution {
  host: string;
  /** aa:bb:cc:dd:ee:ff, or null when the capture had no link layer */
  mac: string | null;
  switchName: string | null;
  port: string | null;
  /** 'session': journalled with this session; 'mac-history': from the MAC's port history; null: unknown */
  basis: 'session' | 'mac-history' | null;
}

export interface VerdictDetail {
  flowId: number;
  profile: string;
  /** the verdict event as it was emitted */
  event: CrashtestEvent;
  transcript: TranscriptTurn[];
  /** the dummy's behaviour trace, one line per recorded call (format of the evidence folder's trace.txt) */
  trace: string[];
  /** disassembly of the last instructions run, when the profile had a disassembler */
  disassembly: string[];
  evidenceFiles: EvidenceFile[];
  /** the evidence folder's session-note.txt: why session.pcap is incomplete (the live spool rotated its frames away); null when whole */
  sessionNote: string | null;
  attribution: VerdictAttribution;
  /** the response stage's decision on this session, when it made one */
  response: CrashtestEvent | null;
}

export interface SeriesPoint {
  /** seconds since the epoch */
  time: number;
  bytesPerSecond: number;
  queueDepth: number;
  /** packets and sessions this sensor lost in this interval: kernel ring, interface counters, queue */
  drops: number;
  /** host-wide softnet backlog drops in this interval, every interface (not in `drops`); live sensor only */
  hostBacklogDrops?: number;
}

export interface DashboardSource {
  /** newest last; verdict, host_compromise, response and stats events */
  recentEvents(limit: number): CrashtestEvent[];
  /** called for every new event; returns the unsubscribe function */
  subscribe(listener: (event: CrashtestEvent) => void): () => void;
  verdictDetail(flowId: number, profile: string): VerdictDetail | null;
  farm(): PoolSnapshot;
  series(): SeriesPoint[];
  /** rules a person can still act on (ACTIVE_ACTION_STATES): requested ones to approve, applied ones to undo */
  activeActions(): Rule[];
  approve(ruleId: number, by: string): Promise<Rule>;
  undo(ruleId: number, by: string): Promise<Rule>;
  /** Prometheus text exposition format */
  metrics(): Promise<string>;
}

/** Rule states the dashboard lists as actions: `requested` waits for approval, `applied` can be undone. */
export const ACTIVE_ACTION_STATES: readonly RuleState[] = ['requested', 'applied'];

/** transcript bytes kept per turn; the evidence pcap has the rest */
export const MAX_TRANSCRIPT_BYTES_PER_TURN = 64 * 1024;
