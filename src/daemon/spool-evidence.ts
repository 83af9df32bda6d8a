/**
 * The live sensor's session frames for evidence: one capture spool per interface (capture-spool.ts)
 * and, at verdict time, the causal sessions cut out of it with the same cutter `analyze` uses on its
 * capture file (session-frame-cutter.ts). The sessions' capture-time spans are remembered as the
 * analyzer receives them, so the cut takes the session's own frames and not those of a later one on
 * the same ports. When rotation deleted the start of a session, or the spool dropped frames while it
 * ran, the evidence gets a note saying so and a counter counts it.
 */
import { join } from 'node:path';
import type { FrozenConfig } from '../config/index.ts';
import type { Counters, Frame, Session } from '../core/index.ts';
import type { VerdictRecord } from './analyze-job.ts';
import { wantedSessionOf } from './analyze-service.ts';
import { CaptureSpool, type SpoolCoverage } from './capture-spool.ts';
import { SessionFrameCutter, type WantedSession } from './session-frame-cutter.ts';

/** session spans remembered for the cut; the oldest are forgotten first (a verdict then uses its start) */
const MAX_REMEMBERED_SPANS = 100_000;
const SLACK_SECONDS = 1e-6;

export interface SessionCut {
  frames: Frame[];
  /** set when the frames are known to be incomplete: the text of the evidence's session-note.txt */
  note?: string;
}

interface Span {
  fromSeconds: number;
  toSeconds: number;
}

export class SpoolEvidence {
  readonly dir: string;
  private readonly spools: CaptureSpool[] = [];
  private readonly spans = new Map<number, Span>();

  constructor(
    private readonly sensor: FrozenConfig['sensor'],
    private readonly counters: Counters,
    private readonly log: (line: string) => void,
  ) {
    this.dir = sensor.spoolDir !== '' ? sensor.spoolDir : join(sensor.evidenceDir, '.spool');
  }

  /** The spool of one interface; its `append` goes in the capture's frame callback. */
  spoolFor(interfaceName: string): CaptureSpool {
    const spool = new CaptureSpool({ dir: this.dir, name: interfaceName, fileBytes: this.sensor.spoolFileBytes, files: this.sensor.spoolFiles, counters: this.counters, log: this.log });
    this.spools.push(spool);
    return spool;
  }

  /** Remembers the spans of a batch's sessions, before they are analysed. */
  noteSessions(sessions: readonly Session[]): void {
    for (const session of sessions) {
      this.spans.set(session.id, spanOf(session));
      if (this.spans.size > MAX_REMEMBERED_SPANS) this.spans.delete(this.spans.keys().next().value!);
    }
  }

  /** Each verdict's session frames, read back from the spools in one pass. Never throws: evidence without frames beats none. */
  async cut(verdicts: readonly VerdictRecord[]): Promise<Map<VerdictRecord, SessionCut>> {
    const cuts = new Map<VerdictRecord, SessionCut>();
    if (verdicts.length === 0) return cuts;
    const wanted = verdicts.map((verdict) => wantedSessionOf(verdict, String(verdict.sender.sessionId), this.spanOf(verdict)));
    const cutter = new SessionFrameCutter(wanted, { counters: this.counters });
    const from = Math.min(...wanted.map((session) => session.fromSeconds!));
    const to = Math.max(...wanted.map((session) => session.toSeconds!));
    const coverage: SpoolCoverage = { rotatedThroughSeconds: -Infinity, droppedThroughSeconds: -Infinity };
    try {
      for (const spool of this.spools) {
        const seen = await spool.read(from, to, (frame) => cutter.offer(frame));
        coverage.rotatedThroughSeconds = Math.max(coverage.rotatedThroughSeconds, seen.rotatedThroughSeconds);
        coverage.droppedThroughSeconds = Math.max(coverage.droppedThroughSeconds, seen.droppedThroughSeconds);
      }
    } catch (error) {
      this.counters.add('sensor.spool.cut_failed');
      this.log(`cannot read the capture spool for evidence: ${(error as Error).message}`);
      for (const verdict of verdicts) cuts.set(verdict, { frames: [], note: `The capture spool could not be read (${(error as Error).message}): session.pcap is empty.` });
      return cuts;
    }
    for (const [index, verdict] of verdicts.entries()) {
      const session = wanted[index]!;
      const frames = cutter.framesOf(session.key);
      cuts.set(verdict, { frames, ...noteFor(session, frames, coverage, this.counters) });
    }
    return cuts;
  }

  async close(): Promise<void> {
    await Promise.all(this.spools.map((spool) => spool.close()));
  }

  destroy(): void {
    for (const spool of this.spools) spool.destroy();
  }

  /** The sender's session span: remembered, or the causal session's own, or from its start on. */
  private spanOf(verdict: VerdictRecord): Span {
    const id = verdict.sender.sessionId;
    const known = this.spans.get(id) ?? (verdict.causalSession.id === id ? spanOf(verdict.causalSession) : undefined);
    return known ?? { fromSeconds: verdict.sender.seconds, toSeconds: Date.now() / 1000 };
  }
}

function spanOf(session: Session): Span {
  return { fromSeconds: session.startSeconds + session.startNanoseconds / 1e9, toSeconds: session.endSeconds + session.endNanoseconds / 1e9 };
}

/** Rotation deletes oldest first, so a session whose first frame is still spooled lost nothing to it. */
function noteFor(session: WantedSession, frames: readonly Frame[], coverage: SpoolCoverage, counters: Counters): { note?: string } {
  const from = session.fromSeconds!;
  const first = frames[0] === undefined ? Infinity : frames[0].seconds + frames[0].nanoseconds / 1e9;
  const notes: string[] = [];
  if (coverage.rotatedThroughSeconds >= from - SLACK_SECONDS && first > from + SLACK_SECONDS) {
    counters.add('sensor.spool.evidence_rotated');
    notes.push(
      `The capture spool no longer held ${frames.length === 0 ? 'this session' : 'the start of this session'}: its files up to ${iso(coverage.rotatedThroughSeconds)} ` +
        `were deleted to stay within sensor.spoolFiles × sensor.spoolFileBytes. The session started ${iso(from)}; session.pcap holds the ${frames.length} frame(s) still spooled.`,
    );
  }
  if (coverage.droppedThroughSeconds >= from - SLACK_SECONDS) {
    counters.add('sensor.spool.evidence_dropped');
    notes.push('The capture spool dropped frames since this session started (the disk fell behind, or a spool write failed): session.pcap may miss some of its frames.');
  }
  return notes.length > 0 ? { note: notes.join('\n') } : {};
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
