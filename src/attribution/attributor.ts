import type { Counters, Packet, Session } from '../core/index.ts';
import { IpMacLearner } from './ip-mac-learner.ts';
import type { AttributionJournal, IpMacObservation, SessionAttribution } from './journal.ts';

export interface AttributorOptions {
  journal: AttributionJournal;
  counters: Counters;
  /** asked (without waiting) for a fresh poll when a session's MAC has no known port */
  requestPoll?: () => void;
  /** sessions and IP→MAC pairs are written in batches of this many (one transaction each) */
  batchSize?: number;
}

/**
 * Journals every session with the switch port its source MAC was on at capture time, and the
 * IP→MAC pairs the mirror shows. Writes are batched; `flush()` commits what is pending.
 */
export class Attributor {
  private readonly options: AttributorOptions;
  private readonly learner: IpMacLearner;
  private pendingSessions: SessionAttribution[] = [];
  private pendingPairs: IpMacObservation[] = [];
  private readonly batchSize: number;

  constructor(options: AttributorOptions) {
    this.options = options;
    this.learner = new IpMacLearner({ counters: options.counters });
    this.batchSize = options.batchSize ?? 256;
  }

  observePacket(packet: Packet): void {
    const pairs = this.learner.observe(packet);
    if (pairs.length === 0) return;
    this.pendingPairs.push(...pairs);
    if (this.pendingPairs.length >= this.batchSize) this.flushPairs();
  }

  /** Attributes and queues one session; returns the row as it will be journalled. */
  observeSession(session: Session): SessionAttribution {
    const captureSeconds = session.startSeconds + session.startNanoseconds / 1e9;
    // Pairs learned from this session's own packets must be in the journal before its port is looked up.
    this.flushPairs();
    const port = session.client.mac >= 0 ? this.options.journal.portForMac(session.client.mac, captureSeconds) : null;
    if (!port) {
      this.options.counters.add('attribution.port_unknown');
      this.options.requestPoll?.();
    }
    const row: SessionAttribution = {
      sessionId: session.id,
      captureSeconds,
      proto: session.proto,
      srcIp: session.client.ip,
      srcPort: session.client.port,
      dstIp: session.server.ip,
      dstPort: session.server.port,
      srcMac: session.client.mac,
      dstMac: session.server.mac,
      vlan: session.vlan,
      switchName: port?.switchName ?? null,
      port: port?.port ?? null,
      ifIndex: port?.ifIndex ?? 0,
      portSeenSeconds: port?.lastSeenSeconds ?? null,
    };
    this.pendingSessions.push(row);
    this.options.counters.add('attribution.sessions');
    if (this.pendingSessions.length >= this.batchSize) this.flushSessions();
    return row;
  }

  flush(): void {
    this.flushPairs();
    this.flushSessions();
  }

  private flushPairs(): void {
    if (this.pendingPairs.length === 0) return;
    const batch = this.pendingPairs;
    this.pendingPairs = [];
    this.options.journal.recordIpMacs(batch);
  }

  private flushSessions(): void {
    if (this.pendingSessions.length === 0) return;
    const batch = this.pendingSessions;
    this.pendingSessions = [];
    this.options.journal.recordSessions(batch);
  }
}
