/**
 * Plays the client side of corpus sessions against the DCE/RPC TCP service of one TestServiceHost,
 * as the replay stage does: every TCP session to 135 or the profile's dynamic range, in order, each
 * turn fed as it was captured.
 */
import type { Session } from '../../../../src/core/index.ts';
import { dceRpcService } from '../../../../src/emulator/services/dcerpc/index.ts';
import { clientTurns } from '../../../helpers/corpus-sessions.ts';
import type { TestServiceHost } from '../../../helpers/service-host.ts';

export interface ReplayedSession {
  session: Session;
  answers: Uint8Array[];
}

export function isRpcSession(session: Session, host: TestServiceHost): boolean {
  const range = host.profile.rpcDynamicPorts;
  const port = session.server.port;
  return session.proto === 'tcp' && (port === 135 || (range !== undefined && port >= range.first && port <= range.last));
}

export function replayRpcSessions(host: TestServiceHost, sessions: Session[]): ReplayedSession[] {
  const service = dceRpcService();
  const replayed: ReplayedSession[] = [];
  for (const session of sessions.filter((candidate) => isRpcSession(candidate, host))) {
    const connection = service.open(host, { address: session.client.ip, port: session.client.port }, session.server.port);
    const answers: Uint8Array[] = [];
    for (const turn of clientTurns(session)) {
      if (connection.closed) break;
      answers.push(connection.receive(turn));
    }
    connection.end();
    replayed.push({ session, answers });
  }
  return replayed;
}
