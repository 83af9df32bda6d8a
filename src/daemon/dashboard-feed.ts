/**
 * The observer side the dashboard reads, shared by the live sensor and the offline source: a
 * bounded ring of recent events with subscribers (an isolated feed: a listener that throws is
 * counted and dropped, never able to stop the pipeline), and each verdict's detail kept while its
 * event is in the ring.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EVIDENCE_FILES, formatMac, formatTraceText, type CrashtestEvent } from '../alert/index.ts';
import { Counters, type Session } from '../core/index.ts';
import type { WhoAnswer } from '../attribution/index.ts';
import type { VerdictRecord } from './analyze-job.ts';
import type { ResponseRecord } from './analyze-response.ts';
import { MAX_TRANSCRIPT_BYTES_PER_TURN, type EvidenceFile, type TranscriptTurn, type VerdictDetail } from './dashboard-source.ts';

export class DashboardFeed {
  private readonly events: CrashtestEvent[] = [];
  private readonly listeners = new Set<(event: CrashtestEvent) => void>();
  private readonly details = new Map<string, VerdictDetail>();

  constructor(
    private capacity: number,
    private readonly counters: Counters = new Counters(),
  ) {}

  resize(capacity: number): void {
    this.capacity = capacity;
    this.trim();
  }

  publish(event: CrashtestEvent): void {
    this.events.push(event);
    this.trim();
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        this.counters.add('dashboard.listener_errors');
        this.listeners.delete(listener);
      }
    }
  }

  recent(limit: number): CrashtestEvent[] {
    return limit <= 0 ? [] : this.events.slice(-limit);
  }

  subscribe(listener: (event: CrashtestEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keeps what the detail page shows of a verdict, taken while the record's session is still whole. */
  noteVerdict(verdict: VerdictRecord, event: CrashtestEvent, evidenceDir: string | undefined): void {
    const detail: VerdictDetail = {
      flowId: verdict.sender.sessionId,
      profile: verdict.profile,
      event,
      transcript: transcriptOf(verdict.causalSession),
      ...traceOf(verdict),
      evidenceFiles: evidenceDir ? evidenceFilesIn(evidenceDir) : [],
      sessionNote: evidenceDir ? sessionNoteIn(evidenceDir) : null,
      attribution: { host: verdict.sender.ip, mac: verdict.sender.mac >= 0 ? (formatMac(verdict.sender.mac) ?? null) : null, switchName: null, port: null, basis: null },
      response: null,
    };
    this.details.set(detailKey(detail.flowId, detail.profile), detail);
  }

  /** The response stage's decision on a session: the switch port it named, and the event. */
  noteResponse(record: ResponseRecord, event: CrashtestEvent): void {
    const rule = record.outcome.kind === 'ignored' ? null : record.outcome.rule;
    for (const detail of this.details.values()) {
      if (detail.flowId !== record.ref.sessionId || detail.attribution.host !== record.ref.srcIp) continue;
      detail.response = event;
      if (rule) detail.attribution = { ...detail.attribution, switchName: rule.target.switchName, port: rule.target.port, basis: rule.target.basis };
    }
  }

  /** Fills in the switch port from the journal when no rule named one. */
  noteWho(flowId: number, profile: string, answer: WhoAnswer): void {
    const detail = this.details.get(detailKey(flowId, profile));
    if (!detail || detail.attribution.port !== null || !answer.port) return;
    detail.attribution = { ...detail.attribution, mac: detail.attribution.mac ?? answer.port.mac, switchName: answer.port.switchName, port: answer.port.port, basis: 'mac-history' };
  }

  detail(flowId: number, profile: string): VerdictDetail | null {
    return this.details.get(detailKey(flowId, profile)) ?? null;
  }

  private trim(): void {
    const excess = this.events.length - this.capacity;
    if (excess <= 0) return;
    for (const event of this.events.splice(0, excess)) {
      if (event.event_type !== 'verdict') continue;
      const fields = event as unknown as { flow_id: number; profile: string };
      if (this.details.get(detailKey(fields.flow_id, fields.profile))?.event === event) this.details.delete(detailKey(fields.flow_id, fields.profile));
    }
  }
}

function detailKey(flowId: number, profile: string): string {
  return `${flowId}\u0000${profile}`;
}

function transcriptOf(session: Session): TranscriptTurn[] {
  return session.turns.map((turn) => ({
    direction: turn.direction,
    bytes: turn.data.subarray(0, MAX_TRANSCRIPT_BYTES_PER_TURN).toString('base64'),
    time: turn.seconds + turn.nanoseconds / 1e9,
    length: turn.data.length,
  }));
}

function traceOf(verdict: VerdictRecord): { trace: string[]; disassembly: string[] } {
  const traces = (verdict.outcome?.observations ?? []).flatMap((observation) =>
    observation.source === 'dummy' && observation.observation.kind === 'code' ? [observation.observation.trace] : [],
  );
  const trace = formatTraceText(traces.map((each) => ({ ...each, listing: [] })))
    .split('\n')
    .filter((line) => line !== '');
  const disassembly = traces.flatMap((each) => each.listing ?? []);
  if (trace.length === 0) {
    // no code ran on a dummy: the behaviour is in the evidence (commands, lookups, connections)
    for (const item of verdict.evidence) trace.push(JSON.stringify(item));
  }
  return { trace, disassembly };
}

function sessionNoteIn(dir: string): string | null {
  const path = join(dir, EVIDENCE_FILES.sessionNote);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : null;
}

function evidenceFilesIn(dir: string): EvidenceFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      const stats = statSync(path);
      return stats.isFile() ? [{ name, path, size: stats.size }] : [];
    });
}
