/**
 * A captured session as something that can be played again: the client's and the server's bytes
 * in the order they were sent, with their times relative to the start. Replay plays one side of it
 * against a dummy (the client side for attacks on servers) and compares the other side with what
 * the dummy answers.
 */
import { concatBytes, type Session } from '../core/index.ts';

export type DialogDirection = 'to_server' | 'to_client';

export interface DialogStep {
  direction: DialogDirection;
  data: Uint8Array;
  /** milliseconds after the session's start */
  offsetMs: number;
}

export interface Dialog {
  sessionId: number;
  proto: 'tcp' | 'udp';
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  /** capture time of the first packet, seconds since the epoch (fractional) */
  startTime: number;
  steps: DialogStep[];
}

export function dialogFromSession(session: Session): Dialog {
  const start = session.startSeconds + session.startNanoseconds / 1e9;
  return {
    sessionId: session.id,
    proto: session.proto,
    client: { ip: session.client.ip, port: session.client.port },
    server: { ip: session.server.ip, port: session.server.port },
    startTime: start,
    steps: session.turns.map((turn) => ({
      direction: turn.direction,
      data: turn.data,
      offsetMs: Math.max(0, (turn.seconds + turn.nanoseconds / 1e9 - start) * 1000),
    })),
  };
}

/** All bytes the client sent, joined: what dedupe, ranking and the code finder read. */
export function clientBytes(dialog: Dialog): Uint8Array {
  return concatBytes(dialog.steps.filter((step) => step.direction === 'to_server').map((step) => step.data));
}
