/**
 * The Log4Shell expressions of the corpus captures, as the emulated HTTP server logs them: each
 * capture's client turns go through `httpService()` on a Log4j profile and the test host keeps
 * what reached `evaluateLookups`. No payload bytes are copied into the project.
 */
import { httpService } from '../../../src/emulator/services/http/index.ts';
import { clientTurns, corpusSessions } from '../../helpers/corpus-sessions.ts';
import { TestServiceHost } from '../../helpers/service-host.ts';

export async function loggedLookups(capture: string, profileId: string, serverPort: number): Promise<{ host: TestServiceHost; texts: string[] }> {
  const host = new TestServiceHost(profileId);
  const service = httpService();
  for (const session of await corpusSessions(capture)) {
    if (session.proto !== 'tcp' || session.server.port !== serverPort) continue;
    const connection = service.open(host, { address: session.client.ip, port: session.client.port }, serverPort);
    for (const turn of clientTurns(session)) connection.receive(turn);
    connection.end();
  }
  return { host, texts: host.lookups.map((lookup) => lookup.text) };
}
