/**
 * The sessions of a corpus capture, as the project's own capture → decode → flow pipeline makes
 * them, for tests that drive emulators and stages with real traffic. Cached per capture within a
 * test process.
 */
import { join } from 'node:path';
import type { Session, Turn } from '../../src/core/index.ts';
import { runSessionsJob } from '../../src/daemon/index.ts';
import { corpusDir } from './corpus.ts';

const cache = new Map<string, Session[]>();

/** Every session of `capture` (a file name in the corpus), in order of start time. */
export async function corpusSessions(capture: string): Promise<Session[]> {
  const cached = cache.get(capture);
  if (cached) return cached;
  const sessions: Session[] = [];
  await runSessionsJob([join(corpusDir(), capture)], { onSession: (session) => sessions.push(session) });
  sessions.sort((a, b) => a.startSeconds - b.startSeconds || a.startNanoseconds - b.startNanoseconds || a.id - b.id);
  cache.set(capture, sessions);
  return sessions;
}

/** The client's turns of a session, in order: what a replay plays against a dummy. */
export function clientTurns(session: Session): Buffer[] {
  return session.turns.filter((turn: Turn) => turn.direction === 'to_server').map((turn) => turn.data);
}

export function serverTurns(session: Session): Buffer[] {
  return session.turns.filter((turn: Turn) => turn.direction === 'to_client').map((turn) => turn.data);
}
