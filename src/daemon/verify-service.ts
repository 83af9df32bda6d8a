/**
 * `crashtest verify BUNDLE`: re-runs a verdict from its replay bundle on this installation — the
 * bundle's dialog played into a fresh dummy of its profile, judged the same way — and says whether
 * the level and the kinds of evidence come out as recorded. The dummy's outbound connections meet
 * the captured peers the bundle carries, as they did during analyze.
 */
import { readBundle, type ReplayBundle } from '../alert/index.ts';
import type { CapturedPeer } from '../containment/index.ts';
import { Counters, type Session } from '../core/index.ts';
import { defaultCatalogue } from '../sandbox/index.ts';
import { ServiceIdentifier } from '../triage/index.ts';
import { levelRank, type VerdictLevel } from '../verdict/index.ts';
import { codeEvidence } from './analyze-job.ts';
import { peerLookupOf } from './captured-peers.ts';
import { detonateOnVictim } from './detonator.ts';
import { createEmulatedFarm } from './emulated-farm.ts';

export interface VerifyResult {
  bundle: ReplayBundle;
  reproduced: boolean;
  expectedLevel: VerdictLevel;
  level: VerdictLevel | null;
  expectedKinds: string[];
  kinds: string[];
  /** expected evidence kinds that did not appear */
  missingKinds: string[];
}

/** The bundle's dialog (or one of its companions) as a session, as flow would have made it. */
export function sessionFromBundle(bundle: ReplayBundle, played: Pick<ReplayBundle, 'client' | 'flowId' | 'dialog'> = bundle): Session {
  const start = bundle.created ? Date.parse(bundle.created.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) / 1000 : 0;
  const base = Number.isFinite(start) ? start : 0;
  const stats = () => ({ frames: 0, bytes: 0, payloadBytes: 0, missingBytes: 0 });
  return {
    id: played.flowId ?? 1,
    proto: bundle.proto,
    client: { ip: played.client.ip, port: played.client.port, mac: -1, ttl: -1 },
    server: { ip: bundle.server.ip, port: bundle.server.port, mac: -1, ttl: -1 },
    vlan: -1,
    innerVlan: -1,
    startSeconds: Math.floor(base),
    startNanoseconds: 0,
    endSeconds: Math.floor(base),
    endNanoseconds: 0,
    toServer: stats(),
    toClient: stats(),
    midstream: false,
    truncated: false,
    endReason: 'end_of_capture',
    turns: played.dialog.map((turn) => {
      const at = Math.floor(base) * 1e6 + turn.timeOffsetMicroseconds;
      return { direction: turn.direction, seconds: Math.floor(at / 1e6), nanoseconds: (at % 1e6) * 1000, data: turn.data };
    }),
    anomalies: [],
  };
}

/** The bundle's captured peers grouped by destination, each destination's sessions in bundle order. */
function peerDestinationsOf(bundle: ReplayBundle): Array<{ address: string; port: number; peers: CapturedPeer[] }> {
  const byDestination = new Map<string, { address: string; port: number; peers: CapturedPeer[] }>();
  for (const peer of bundle.peers ?? []) {
    const key = `${peer.destination.ip}|${peer.destination.port}`;
    let entry = byDestination.get(key);
    if (!entry) byDestination.set(key, (entry = { address: peer.destination.ip, port: peer.destination.port, peers: [] }));
    entry.peers.push({ sessionId: peer.flowId ?? 0, capturedClient: { address: peer.capturedClient.ip, port: peer.capturedClient.port }, turns: peer.dialog });
  }
  return [...byDestination.values()];
}

export async function verifyBundle(path: string, options: { signal?: AbortSignal } = {}): Promise<VerifyResult> {
  const bundle = await readBundle(path);
  const catalogue = defaultCatalogue();
  const profile = catalogue.get(bundle.profile);
  const session = sessionFromBundle(bundle);
  const service = new ServiceIdentifier(catalogue).identify(session);
  // a multi-connection exploit's other connections, played after it on the same dummy
  const companions = (bundle.companions ?? []).map((companion) => sessionFromBundle(bundle, companion));
  const peers = peerLookupOf(peerDestinationsOf(bundle));
  const farm = createEmulatedFarm({ counters: new Counters() });
  try {
    const outcome = await farm.lease(
      profile,
      (victim) => detonateOnVictim(victim, profile, [session, ...companions].map((played) => ({ session: played, serviceKind: service?.kind ?? '' })), { dwellMs: bundle.dwellMs, ...(peers ? { peers } : {}), ...(options.signal ? { signal: options.signal } : {}) }),
      options.signal,
    );
    let level = outcome.level;
    let kinds = outcome.evidence.map((item) => item.kind);
    // an attempt recorded from the code's own run (no dummy affected) is re-checked the same way
    if (levelRank(level) < levelRank('attempted') && bundle.expected.level === 'attempted') {
      const code = codeEvidence(session, service?.kind ?? '');
      if (code) {
        level = 'attempted';
        kinds = code.map((item) => item.kind);
      }
    }
    const expectedKinds = [...bundle.expected.evidenceKinds];
    const missingKinds = expectedKinds.filter((kind) => !kinds.includes(kind));
    return { bundle, reproduced: level === bundle.expected.level && missingKinds.length === 0, expectedLevel: bundle.expected.level, level, expectedKinds, kinds: [...new Set(kinds)], missingKinds };
  } finally {
    await farm.close();
  }
}
