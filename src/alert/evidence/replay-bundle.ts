import type { Direction, Session } from '../../core/index.ts';
import type { EvidenceKind } from '../evidence-item.ts';
import type { VerdictLevel } from '../verdict-level.ts';

/** One turn of the dialog, its time relative to the first turn. */
export interface ReplayBundleTurn {
  direction: Direction;
  timeOffsetMicroseconds: number;
  data: Buffer;
}

/**
 * Everything needed to re-run a verdict on any installation: the captured dialog, the profile, how
 * long the dummy was watched and what the run found. On disk it is bundle.json
 * (schemas/bundle.schema.json; see bundle-json.ts).
 */
export interface ReplayBundle {
  crashtestVersion: string;
  /** when the bundle was written, EVE timestamp form; absent in hand-made bundles */
  created?: string;
  profile: string;
  proto: 'tcp' | 'udp';
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  flowId?: number;
  vulnerability?: string;
  dialog: ReplayBundleTurn[];
  /**
   * the sender's other connections to the same service, opened while the causal session was open
   * and played after it on the same dummy (a multi-connection exploit such as EternalBlue)
   */
  companions?: ReplayBundleCompanion[];
  /**
   * captured peers: the attacked host's own later connections in the capture, whose server side
   * answered the dummy's outbound connections to the same destination (a JNDI lookup meeting the
   * captured LDAP and HTTP answers); per destination in the order the dummy's connections meet them
   */
  peers?: ReplayBundlePeer[];
  dwellMs: number;
  expected: { level: VerdictLevel; evidenceKinds: EvidenceKind[] };
}

/** One companion connection: its client port (the server is the bundle's) and its turns. */
export interface ReplayBundleCompanion {
  client: { ip: string; port: number };
  flowId?: number;
  dialog: ReplayBundleTurn[];
}

/** One captured peer session: where it went, the real host's side of it and its turns. */
export interface ReplayBundlePeer {
  destination: { ip: string; port: number };
  capturedClient: { ip: string; port: number };
  flowId?: number;
  dialog: ReplayBundleTurn[];
}

/** A captured peer session as the daemon records it (captured-peers.ts). */
export interface ReplayBundlePeerInput {
  sessionId: number;
  capturedClient: { address: string; port: number };
  turns: Session['turns'];
}

export interface ReplayBundleInput {
  crashtestVersion: string;
  created?: string;
  session: Pick<Session, 'id' | 'proto' | 'client' | 'server' | 'turns'>;
  companions?: ReadonlyArray<Pick<Session, 'id' | 'client' | 'turns'>>;
  /** captured peers by destination, each destination's sessions in the order they are served */
  peers?: ReadonlyArray<{ address: string; port: number; peers: readonly ReplayBundlePeerInput[] }>;
  profile: string;
  vulnerability?: string;
  dwellMs: number;
  level: VerdictLevel;
  /** duplicates are dropped, first-seen order kept */
  evidenceKinds: readonly EvidenceKind[];
}

/** A bundle from the causal session; turn bytes are copied (session turns may be lent views). */
export function buildReplayBundle(input: ReplayBundleInput): ReplayBundle {
  const { session } = input;
  const dialog = dialogOf(session.turns);
  const bundle: ReplayBundle = {
    crashtestVersion: input.crashtestVersion,
    profile: input.profile,
    proto: session.proto,
    client: { ip: session.client.ip, port: session.client.port },
    server: { ip: session.server.ip, port: session.server.port },
    flowId: session.id,
    dialog,
    dwellMs: input.dwellMs,
    expected: { level: input.level, evidenceKinds: [...new Set(input.evidenceKinds)] },
  };
  if (input.companions && input.companions.length > 0) {
    bundle.companions = input.companions.map((companion) => ({ client: { ip: companion.client.ip, port: companion.client.port }, flowId: companion.id, dialog: dialogOf(companion.turns) }));
  }
  const peers = (input.peers ?? []).flatMap((destination) =>
    destination.peers.map((peer) => ({
      destination: { ip: destination.address, port: destination.port },
      capturedClient: { ip: peer.capturedClient.address, port: peer.capturedClient.port },
      flowId: peer.sessionId,
      dialog: dialogOf(peer.turns),
    })),
  );
  if (peers.length > 0) bundle.peers = peers;
  if (input.created !== undefined) bundle.created = input.created;
  if (input.vulnerability !== undefined) bundle.vulnerability = input.vulnerability;
  return bundle;
}

function dialogOf(turns: Session['turns']): ReplayBundleTurn[] {
  const first = turns[0];
  return turns.map((turn) => ({
    direction: turn.direction,
    timeOffsetMicroseconds: first === undefined ? 0 : microsecondsBetween(first, turn),
    data: Buffer.from(turn.data),
  }));
}

/** never negative: turns out of time order (clock steps) count as simultaneous */
function microsecondsBetween(from: { seconds: number; nanoseconds: number }, to: { seconds: number; nanoseconds: number }): number {
  const micros = (to.seconds - from.seconds) * 1_000_000 + Math.floor(to.nanoseconds / 1000) - Math.floor(from.nanoseconds / 1000);
  return Math.max(0, micros);
}
