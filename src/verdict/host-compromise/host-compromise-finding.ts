/**
 * What the host-compromise detector reports: a real host in the capture that behaved like an
 * infected one (called back, answered an implant check, served a shell, fetched an executable
 * after an exploit page and then checked in somewhere new). Unlike a dummy's verdict this is about
 * the production host itself, so it names the behaviour and the sessions that show it.
 */
import type { Timestamp } from '../../core/index.ts';

export type HostCompromiseRule = 'callback' | 'backdoor_answer' | 'shell_answer' | 'download_then_checkin';

/** One piece of evidence: `kind` names it, the other fields are its details (plain JSON values). */
export interface HostCompromiseEvidence {
  kind: string;
  [detail: string]: unknown;
}

export interface HostCompromiseFinding {
  type: 'host_compromise';
  /** the host that behaved infected */
  hostIp: string;
  /** when the infected behaviour happened (the callback, the answer, the first check-in) */
  timestamp: Timestamp;
  /** who attacked it, when known */
  attackerIp?: string;
  rule: HostCompromiseRule;
  evidence: HostCompromiseEvidence[];
  /** the sessions that show it, attack first where there is one */
  sessionIds: number[];
}

/** A destination a dummy contacted when it detonated the payload, or one the payload names. */
export interface PredictedDestination {
  address: string;
  /** 0 when any port counts (a name or address without a port) */
  port: number;
  proto: 'tcp' | 'udp';
}

/** The rest of the pipeline's word that a session was an attack from `attacker` on `victim`. */
export interface AttackNote {
  sessionId: number;
  attacker: string;
  victim: string;
  /** when the attack session started */
  time: Timestamp;
  predicted?: PredictedDestination[];
}
