/**
 * One side of a session as a single byte stream, with the time each byte arrived, so that parsers
 * of framed protocols (SMB, HTTP) can work across turn boundaries and still date what they find.
 * The stream is cut at `limit` bytes: the rules only need the start of a conversation, and a
 * gigabyte transfer must not be copied.
 */
import type { Direction, Session, Timestamp } from '../../core/index.ts';

export interface DirectionStream {
  bytes: Buffer;
  /** true when `limit` cut the stream short */
  cut: boolean;
  /** when the byte at `offset` was sent (the start of the turn holding it) */
  timeAt(offset: number): Timestamp;
}

export function directionStream(session: Session, direction: Direction, limit: number): DirectionStream {
  const parts: Buffer[] = [];
  const starts: number[] = [];
  const times: Timestamp[] = [];
  let length = 0;
  let cut = false;
  for (const turn of session.turns) {
    if (turn.direction !== direction || turn.data.length === 0) continue;
    if (length >= limit) {
      cut = true;
      break;
    }
    const part = turn.data.length > limit - length ? turn.data.subarray(0, limit - length) : turn.data;
    if (part.length < turn.data.length) cut = true;
    starts.push(length);
    times.push({ seconds: turn.seconds, nanoseconds: turn.nanoseconds });
    parts.push(part);
    length += part.length;
  }
  const fallback: Timestamp = { seconds: session.startSeconds, nanoseconds: session.startNanoseconds };
  return {
    bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts, length),
    cut,
    timeAt(offset: number): Timestamp {
      // the last turn starting at or before the offset; turns are few, a binary search is not needed
      let found = -1;
      for (let index = 0; index < starts.length && starts[index]! <= offset; index++) found = index;
      return found < 0 ? fallback : times[found]!;
    },
  };
}
