/**
 * The host-compromise detector: fed every session of a capture (or a live sensor) in time order and
 * the attack notes of the rest of the pipeline, it reports the real hosts that behave infected.
 * Four rules, each on protocol behaviour and timing alone:
 *   callback               after a noted attack on V, V connects to the attacker or to a predicted
 *                          destination (callback-tracker.ts)
 *   backdoor_answer        V answers an implant check the way the implant does (doublepulsar-answer.ts)
 *   shell_answer           one side of a connection is a command shell (shell-answer.ts)
 *   download_then_checkin  exploit page → program download → check-ins to new places (drive-by-tracker.ts)
 * A fifth, "ping after command injection", needs ICMP, which sessions do not carry (flow makes TCP
 * and UDP sessions only); it is left to the dummy, whose containment sees echo requests.
 *
 * Every rule reports a host at most once per cause (per attack session for callbacks, per host for
 * the others, within the bounded memory below), so a shell that answers fifty commands is one
 * finding. Hostile input is data: a session that breaks a parser yields no finding and a counter.
 */
import { Counters, type Session } from '../../core/index.ts';
import { CallbackTracker, DEFAULT_CALLBACK_OPTIONS, type CallbackOptions } from './callback-tracker.ts';
import { findDoublePulsarAnswer } from './doublepulsar-answer.ts';
import { DEFAULT_DRIVE_BY_OPTIONS, DriveByTracker, type DriveByOptions } from './drive-by-tracker.ts';
import type { AttackNote, HostCompromiseFinding, HostCompromiseRule } from './host-compromise-finding.ts';
import { RecencyMap } from './recency-map.ts';
import { findShellAnswer } from './shell-answer.ts';

export interface HostCompromiseOptions {
  callback: CallbackOptions;
  driveBy: DriveByOptions;
  /** hosts remembered as already reported by the per-host rules (4096) */
  reportedHosts: number;
}

export const DEFAULT_HOST_COMPROMISE_OPTIONS: HostCompromiseOptions = {
  callback: DEFAULT_CALLBACK_OPTIONS,
  driveBy: DEFAULT_DRIVE_BY_OPTIONS,
  reportedHosts: 4096,
};

export interface HostCompromiseDetectorSettings {
  options?: { callback?: Partial<CallbackOptions>; driveBy?: Partial<DriveByOptions>; reportedHosts?: number };
  counters?: Counters;
}

export class HostCompromiseDetector {
  readonly counters: Counters;
  private readonly callbacks: CallbackTracker;
  private readonly driveBy: DriveByTracker;
  private readonly reported: RecencyMap<string, true>;

  constructor(settings: HostCompromiseDetectorSettings = {}) {
    this.counters = settings.counters ?? new Counters();
    const options = settings.options ?? {};
    this.callbacks = new CallbackTracker({ ...DEFAULT_CALLBACK_OPTIONS, ...options.callback }, this.counters);
    this.driveBy = new DriveByTracker({ ...DEFAULT_DRIVE_BY_OPTIONS, ...options.driveBy }, this.counters);
    this.reported = new RecencyMap(options.reportedHosts ?? DEFAULT_HOST_COMPROMISE_OPTIONS.reportedHosts);
  }

  /** Takes the next session (in start-time order); returns the findings it completes. */
  observe(session: Session): HostCompromiseFinding[] {
    this.counters.add('host_compromise.sessions');
    const findings: HostCompromiseFinding[] = [];
    this.guard('callback', () => findings.push(...this.callbacks.observe(session)));
    this.guard('backdoor_answer', () => {
      const answer = findDoublePulsarAnswer(session);
      if (!answer || !this.firstReport('backdoor_answer', session.server.ip)) return;
      findings.push({
        type: 'host_compromise',
        hostIp: session.server.ip,
        timestamp: answer.time,
        attackerIp: session.client.ip,
        rule: 'backdoor_answer',
        evidence: [{ kind: 'doublepulsar_ping_answered', sessionId: session.id, port: session.server.port, requestMid: answer.requestMid, answerMid: answer.answerMid, status: `0x${answer.status.toString(16).padStart(8, '0')}` }],
        sessionIds: [session.id],
      });
    });
    this.guard('shell_answer', () => {
      const shell = findShellAnswer(session);
      if (!shell) return;
      const shellEnd = shell.shellSide === 'server' ? session.server : session.client;
      const peer = shell.shellSide === 'server' ? session.client : session.server;
      if (!this.firstReport('shell_answer', shellEnd.ip)) return;
      const { time, shellSide, ...details } = shell;
      findings.push({
        type: 'host_compromise',
        hostIp: shellEnd.ip,
        timestamp: time,
        attackerIp: peer.ip,
        rule: 'shell_answer',
        evidence: [{ kind: shellSide === 'server' ? 'bound_shell' : 'reverse_shell', sessionId: session.id, port: session.server.port, ...details }],
        sessionIds: [session.id],
      });
    });
    this.guard('download_then_checkin', () => findings.push(...this.driveBy.observe(session)));
    return findings;
  }

  /** Takes an attack note (possibly after the callback it explains); returns the findings it completes. */
  noteAttack(note: AttackNote): HostCompromiseFinding[] {
    const findings: HostCompromiseFinding[] = [];
    this.guard('callback', () => findings.push(...this.callbacks.noteAttack(note)));
    return findings;
  }

  private firstReport(rule: HostCompromiseRule, hostIp: string): boolean {
    const key = `${rule}|${hostIp}`;
    if (this.reported.peek(key)) return false;
    this.reported.set(key, true);
    return true;
  }

  /** A rule that throws is a bug; one odd session must not stop the others, so count it and go on. */
  private guard(rule: HostCompromiseRule, run: () => void): void {
    try {
      run();
    } catch {
      this.counters.add(`host_compromise.${rule}.rule_errors`);
    }
  }
}
