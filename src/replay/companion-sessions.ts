/**
 * Some exploits need several connections at once: EternalBlue grooms the kernel pool with a score
 * of connections to the same port, overflows on one and sends its code on the others. Played one
 * session per dummy, the overflow finds no code and the code finds no overflow. A session's
 * companions are the sender's other connections to the same host and port that opened while it
 * was still open; played after it on the same dummy, they complete what it started.
 */
import type { Session } from '../core/index.ts';

/** companions played with one session at most; more are left out (a brute force is not one exploit) */
export const MAX_COMPANIONS = 32;

function seconds(at: { seconds: number; nanoseconds: number }): number {
  return at.seconds + at.nanoseconds / 1e9;
}

function startOf(session: Session): number {
  return seconds({ seconds: session.startSeconds, nanoseconds: session.startNanoseconds });
}

function keyOf(session: Session): string {
  return `${session.client.ip}|${session.server.ip}|${session.server.port}`;
}

/**
 * Companions for many sessions of one capture: TCP sessions grouped by sender, host and port and
 * sorted by start, so each look is a binary search and a walk over the companions themselves
 * (a brute force's ten thousand connections to one port cost log n per job, not n).
 */
export class CompanionIndex {
  private readonly groups = new Map<string, Array<{ session: Session; at: number }>>();

  constructor(sessions: readonly Session[]) {
    for (const session of sessions) {
      if (session.proto !== 'tcp') continue;
      const key = keyOf(session);
      const group = this.groups.get(key);
      const entry = { session, at: startOf(session) };
      if (group) group.push(entry);
      else this.groups.set(key, [entry]);
    }
    for (const group of this.groups.values()) group.sort((a, b) => a.at - b.at || a.session.id - b.session.id);
  }

  /** as companionSessions(session, all sessions given to the index, limit) */
  of(session: Session, limit = MAX_COMPANIONS): Session[] {
    if (session.proto !== 'tcp') return [];
    const group = this.groups.get(keyOf(session));
    if (!group) return [];
    const start = startOf(session);
    const end = seconds({ seconds: session.endSeconds, nanoseconds: session.endNanoseconds });
    let low = 0;
    let high = group.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (group[middle]!.at < start) low = middle + 1;
      else high = middle;
    }
    const companions: Session[] = [];
    for (let index = low; index < group.length && companions.length < limit; index++) {
      const entry = group[index]!;
      if (entry.at > end) break;
      if (entry.session.id !== session.id) companions.push(entry.session);
    }
    return companions;
  }
}

/**
 * The sessions of `sessions` (any order) that start while `session` is open, from the same client
 * address to the same server address and TCP port, in start order, at most `limit`. UDP has no
 * connections to groom with: a UDP session has none.
 */
export function companionSessions(session: Session, sessions: readonly Session[], limit = MAX_COMPANIONS): Session[] {
  return new CompanionIndex(sessions).of(session, Math.max(0, limit));
}
