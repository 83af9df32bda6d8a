/**
 * Client-side candidates: sessions whose *client* is a protected host and whose server answered
 * with content a browser acts on — scripts that decode strings or grow a heap spray, plugin content
 * (Flash, Java, Silverlight, PDF, ActiveX objects), executables. Such a session becomes a job in
 * the `to_client` direction: its server side is played into client-side dummies (profiles with the
 * `http-client` service). Ordinary pages (plain scripts, images, style) are not candidates.
 */
import { createHash } from 'node:crypto';
import type { Session } from '../core/index.ts';
import { decodePage, parseHttpResponses } from '../emulator/index.ts';
import type { ProfileCatalogue } from '../sandbox/index.ts';
import type { ProtectedNetworks } from './protected-networks.ts';
import type { ReplayJob, Sender } from './replay-job.ts';

export const CLIENT_SERVICE = 'http-client';
/** server bytes read per session for the decision */
const MAX_SERVER_BYTES = 4 * 1024 * 1024;
const REQUEST_LINE = /^(GET|POST|HEAD|PUT|OPTIONS) \S+ HTTP\/1\.[01]\r\n/;

export interface ClientSideContent {
  /** why the responses deserve a browser: `decoded_strings`, `heap_spray`, `plugin:flash`, `activex`, `executable` … */
  reasons: string[];
  /** the responses' bodies hashed: identical deliveries are one job */
  key: string;
}

function serverBytes(session: Session): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (const turn of session.turns) {
    if (turn.direction !== 'to_client' || length >= MAX_SERVER_BYTES) continue;
    parts.push(turn.data);
    length += turn.data.length;
  }
  return Buffer.concat(parts).subarray(0, MAX_SERVER_BYTES);
}

/** What the server side of an HTTP session delivers to a browser, or null when nothing a browser acts on. */
export function clientSideContent(session: Session): ClientSideContent | null {
  if (session.proto !== 'tcp') return null;
  const firstRequest = session.turns.find((turn) => turn.direction === 'to_server' && turn.data.length > 0);
  if (!firstRequest || !REQUEST_LINE.test(firstRequest.data.subarray(0, 2048).toString('latin1'))) return null;
  const { responses } = parseHttpResponses(serverBytes(session), { maxResponses: 32 });
  const reasons = new Set<string>();
  const hash = createHash('sha256');
  for (const response of responses) {
    const findings = decodePage(response.body, response.headers.get('content-type') ?? '');
    hash.update(response.body);
    if (findings.kind === 'executable') reasons.add('executable');
    if (findings.binaries.length > 0) reasons.add('decoded_strings');
    if (findings.heapSpray) reasons.add('heap_spray');
    for (const object of findings.objects) reasons.add(object.plugin === 'activex' ? 'activex' : `plugin:${object.plugin}`);
  }
  return reasons.size > 0 ? { reasons: [...reasons].sort(), key: `client:${hash.digest('hex')}` } : null;
}

/** The attacker of a client-side job is the server; the protected host it aimed at is the client. */
export function serverAsSender(session: Session): Sender {
  return {
    ip: session.server.ip,
    port: session.server.port,
    mac: session.server.mac,
    vlan: session.vlan,
    sessionId: session.id,
    targetIp: session.client.ip,
    targetPort: session.client.port,
    seconds: session.startSeconds,
  };
}

export interface ClientSideJobContext {
  catalogue: ProfileCatalogue;
  protectedNetworks: ProtectedNetworks;
}

/** A `to_client` job draft for the session (id and priority to be set by the queue owner), or null. */
export function clientSideJob(session: Session, context: ClientSideJobContext): ReplayJob | null {
  if (!context.protectedNetworks.isProtected(session.client.ip)) return null;
  const profiles = context.catalogue
    .list()
    .filter((profile) => profile.roles.includes('workstation') && profile.services.some((service) => service.name === CLIENT_SERVICE));
  if (profiles.length === 0) return null;
  const content = clientSideContent(session);
  if (!content) return null;
  return {
    id: 0,
    payloadKey: content.key,
    maskedRanges: [],
    service: { kind: CLIENT_SERVICE, protocol: 'http', by: 'content', proto: 'tcp', port: session.server.port },
    session,
    senders: [serverAsSender(session)],
    profileIds: profiles.map((profile) => profile.id),
    targetFacts: {},
    factsUsed: [],
    // below server-side attacks with code in them, above plain first-seen payloads
    priority: 20 + Math.min(20, content.reasons.length * 5),
    reasons: { shellcodeScore: 0, shellcodeReasons: [], injectionMarkers: [], oversizeFields: [], senderTargets: 1, scanningSource: false, firstSeenPayload: true, clientSide: content.reasons },
    midstream: session.midstream,
    direction: 'to_client',
  };
}
