/**
 * The next parts of a multi-connection attack, taken from the capture: after an attack, the real
 * target host's own connections (the stager calling back to the handler, the JNDI lookup reaching
 * the attacker's LDAP and HTTP servers) hold what the attacker's servers answered. A dummy that
 * makes the same connection during the detonation meets those captured server sides.
 */
import type { CapturedPeer, NetworkAddress, PeerLookup } from '../containment/index.ts';
import type { Session } from '../core/index.ts';
import type { ReplayJob } from '../triage/index.ts';

/** how long after the attack a connection of its target still counts as a next stage */
export const PEER_WINDOW_SECONDS = 600;
/** captured sessions kept per destination (the lease's nth connection there meets the nth) */
const MAX_PEERS_PER_DESTINATION = 8;

function startOf(session: Session): number {
  return session.startSeconds + session.startNanoseconds / 1e9;
}

function key(address: string, port: number): string {
  return `${address}|${port}`;
}

/** The captured sessions to one destination, in the order a lease's connections there meet them. */
export interface CapturedPeerDestination {
  address: string;
  port: number;
  /** turns keep their capture times (a replay bundle records their offsets) */
  peers: Array<CapturedPeer & { turns: Session['turns'] }>;
}

/**
 * Indexes a batch of sessions by client host; `destinationsFor(job)` lists one job's captured peers:
 * the TCP sessions its target opened from the attack's start to `windowSeconds` after, whose server
 * said something, by destination. Empty when there are none.
 */
export function capturedPeerDestinations(sessions: readonly Session[], windowSeconds = PEER_WINDOW_SECONDS): (job: ReplayJob) => CapturedPeerDestination[] {
  const byClient = new Map<string, Session[]>();
  for (const session of sessions) {
    if (session.proto !== 'tcp' || !session.turns.some((turn) => turn.direction === 'to_client')) continue;
    const list = byClient.get(session.client.ip);
    if (list) list.push(session);
    else byClient.set(session.client.ip, [session]);
  }
  for (const list of byClient.values()) list.sort((a, b) => startOf(a) - startOf(b) || a.id - b.id);
  return (job) => {
    const attackStart = startOf(job.session);
    const byDestination = new Map<string, CapturedPeerDestination>();
    for (const session of byClient.get(job.session.server.ip) ?? []) {
      const start = startOf(session);
      if (session.id === job.session.id || start < attackStart || start - attackStart > windowSeconds) continue;
      const destination = key(session.server.ip, session.server.port);
      let entry = byDestination.get(destination);
      if (!entry) byDestination.set(destination, (entry = { address: session.server.ip, port: session.server.port, peers: [] }));
      if (entry.peers.length >= MAX_PEERS_PER_DESTINATION) continue;
      entry.peers.push({ sessionId: session.id, capturedClient: { address: session.client.ip, port: session.client.port }, turns: session.turns });
    }
    return [...byDestination.values()];
  };
}

/** The lookup the containment asks, over captured (or bundled) destinations; undefined when there are none. */
export function peerLookupOf(destinations: ReadonlyArray<{ address: string; port: number; peers: readonly CapturedPeer[] }>): PeerLookup | undefined {
  if (destinations.length === 0) return undefined;
  const byDestination = new Map(destinations.map((entry) => [key(entry.address, entry.port), entry.peers]));
  return (destination: NetworkAddress) => byDestination.get(key(destination.address, destination.port)) ?? [];
}

/**
 * `peersFor(job)` is the lookup for one job (capturedPeerDestinations as the containment asks it).
 * Undefined when there are none, so a detonation without next stages costs nothing.
 */
export function capturedPeerIndex(sessions: readonly Session[], windowSeconds = PEER_WINDOW_SECONDS): (job: ReplayJob) => PeerLookup | undefined {
  const destinationsFor = capturedPeerDestinations(sessions, windowSeconds);
  return (job) => peerLookupOf(destinationsFor(job));
}
