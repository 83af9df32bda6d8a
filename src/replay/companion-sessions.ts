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

/**
 * The sessions of `sessions` (any order) that start while `session` is open, from the same client
 * address to the same server address and TCP port, in start order, at most `limit`. UDP has no
 * connections to groom with: a UDP session has none.
 */
export function companionSessions(session: Session, sessions: readonly Session[], limit = MAX_COMPANIONS): Session[] {
  if (session.proto !== 'tcp') return [];
  const start = seconds({ seconds: session.startSeconds, nanoseconds: session.startNanoseconds });
  const end = seconds({ seconds: session.endSeconds, nanoseconds: session.endNanoseconds });
  return sessions
    .filter(
      (other) =>
        other.id !== session.id &&
        other.proto === 'tcp' &&
        other.client.ip === session.client.ip &&
        other.server.ip === session.server.ip &&
        other.server.port === session.server.port,
    )
    .map((other) => ({ other, at: seconds({ seconds: other.startSeconds, nanoseconds: other.startNanoseconds }) }))
    .filter(({ at }) => at >= start && at <= end)
    .sort((a, b) => a.at - b.at || a.other.id - b.other.id)
    .slice(0, Math.max(0, limit))
    .map(({ other }) => other);
}
