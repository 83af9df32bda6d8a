/**
 * Times as plain seconds (a double) for window arithmetic: the rules compare gaps of seconds to
 * minutes, where a double's microsecond precision is plenty; findings keep the exact Timestamp.
 */
import type { Session, Timestamp } from '../../core/index.ts';

export function secondsOf(time: Timestamp): number {
  return time.seconds + time.nanoseconds / 1e9;
}

export function sessionStart(session: Session): Timestamp {
  return { seconds: session.startSeconds, nanoseconds: session.startNanoseconds };
}

