import type { Session } from '../core/index.ts';

/**
 * What the client sent in a session, as one byte stream: for TCP the bytes after the handshake,
 * for UDP the datagrams to the server. This is what a replay plays against a dummy and what
 * triage keys, scans and ranks. `turnOffsets` keeps where each client turn began, because some
 * protocols restart their framing per datagram.
 */
export interface ClientPayload {
  bytes: Buffer;
  /** start offset in `bytes` of each client turn, in order */
  turnOffsets: number[];
}

export function clientPayload(session: Session): ClientPayload {
  const parts: Buffer[] = [];
  const turnOffsets: number[] = [];
  let length = 0;
  for (const turn of session.turns) {
    if (turn.direction !== 'to_server' || turn.data.length === 0) continue;
    turnOffsets.push(length);
    parts.push(turn.data);
    length += turn.data.length;
  }
  return { bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts, length), turnOffsets };
}

/** The server's turns joined, for facts about the target (banners, Server header, SMB dialect). */
export function serverTurns(session: Session): Buffer[] {
  return session.turns.filter((turn) => turn.direction === 'to_client' && turn.data.length > 0).map((turn) => turn.data);
}
