/**
 * Detonation of one replay group (the sessions one sender aimed at one host and service, in
 * capture order) on dummies of each candidate profile: lease a clean dummy, play every session's
 * client side into it, dwell, judge what it did, revert. Which session was playing when the first
 * sign of attack appeared is the causal session.
 */
import type { Profile } from '../config/index.ts';
import type { PeerLookup } from '../containment/index.ts';
import type { Session } from '../core/index.ts';
import { dialogFromSession, playDialog, type Dialog } from '../replay/index.ts';
import type { Observation, Victim } from '../sandbox/index.ts';
import { judge, levelRank, type EvidenceItem, type VerdictLevel } from '../verdict/index.ts';

/** Runs `use` on a clean dummy of `profile` and reverts it afterwards (the pool, or a driver in tests). */
export type Lease = <T>(profile: Profile, use: (victim: Victim) => Promise<T>, signal?: AbortSignal) => Promise<T>;

export interface ProfileOutcome {
  profile: Profile;
  level: VerdictLevel | null;
  evidence: EvidenceItem[];
  vulnerabilities: string[];
  /** the session during whose replay the highest level was first reached */
  causalSessionId: number | null;
  observations: Observation[];
  /** the dummy answered nothing on the service's port */
  refused: boolean;
  /** bytes of each exchange, for evidence and bundles */
  dialogs: Dialog[];
}

export interface DetonateOptions {
  /**
   * Later sessions of the same sender to the same host: each is played too when the dummy, by then,
   * listens on its port (the attacker connecting to the bind shell its exploit opened).
   */
  followUps?: readonly Session[];
  /**
   * Captured servers the real target host reached after the attack: the dummy's connections to
   * the same destinations meet them (a driver without `replayPeers` ignores this).
   */
  peers?: PeerLookup;
  /** virtual milliseconds each lease watches the dummy after the last session */
  dwellMs: number;
  signal?: AbortSignal;
}

/** The port a profile serves a service on; the captured port when the profile lists it or it is in the RPC range. */
export function portFor(profile: Profile, serviceKind: string, proto: 'tcp' | 'udp', capturedPort: number): number | null {
  const matching = profile.services.filter((service) => service.proto === proto && service.name === serviceKind);
  if (matching.some((service) => service.port === capturedPort)) return capturedPort;
  if (serviceKind === 'msrpc-dynamic' && profile.rpcDynamicPorts) {
    const range = profile.rpcDynamicPorts;
    if (capturedPort >= range.first && capturedPort <= range.last) return capturedPort;
    return matching[0]?.port ?? range.first;
  }
  return matching[0]?.port ?? null;
}

/** A session to play and the service it is aimed at (its port on the dummy follows from that). */
export interface DetonationItem {
  session: Session;
  serviceKind: string;
  /** `to_client`: the session's server side is played into a client-side dummy (its browser) */
  direction?: 'to_server' | 'to_client';
}

/** The server side of a session, as the client read it. */
function serverStream(session: Session): Uint8Array {
  return Buffer.concat(session.turns.filter((turn) => turn.direction === 'to_client').map((turn) => turn.data));
}

export async function detonate(lease: Lease, items: readonly DetonationItem[], profiles: readonly Profile[], options: DetonateOptions): Promise<ProfileOutcome[]> {
  const outcomes: ProfileOutcome[] = [];
  for (const profile of profiles) {
    options.signal?.throwIfAborted();
    outcomes.push(await lease(profile, (victim) => detonateOnVictim(victim, profile, items, options), options.signal));
  }
  return outcomes;
}

function listensOn(victim: Victim, proto: 'tcp' | 'udp', port: number): boolean {
  return victim.observations().some((seen) => seen.source === 'dummy' && seen.observation.kind === 'listen' && seen.observation.proto === proto && seen.observation.port === port);
}

/** Plays every item into one leased dummy in order, dwells, and judges. */
export async function detonateOnVictim(victim: Victim, profile: Profile, items: readonly DetonationItem[], options: DetonateOptions): Promise<ProfileOutcome> {
  const dialogs: Dialog[] = [];
  let causalSessionId: number | null = null;
  let bestRank = 0;
  let refused = true;
  const signal = options.signal ? { signal: options.signal } : {};
  if (options.peers) victim.replayPeers?.(options.peers);
  for (const item of items) {
    const dialog = dialogFromSession(item.session);
    dialogs.push(dialog);
    if (item.direction === 'to_client') {
      if (!victim.browse) continue;
      await victim.browse([serverStream(item.session)], signal);
      refused = false;
    } else {
      const port = portFor(profile, item.serviceKind, dialog.proto, dialog.server.port);
      if (port === null) continue;
      const played = await playDialog(victim, dialog, { port, ...signal });
      if (played.connected) refused = false;
    }
    const rank = levelRank(judge(victim.observations()).level);
    if (rank > bestRank) {
      bestRank = rank;
      causalSessionId = dialog.sessionId;
    }
  }
  for (const followUp of options.followUps ?? []) {
    if (!listensOn(victim, followUp.proto, followUp.server.port)) continue;
    const dialog = dialogFromSession(followUp);
    dialogs.push(dialog);
    await playDialog(victim, dialog, { port: followUp.server.port, ...signal });
  }
  await victim.dwell(options.dwellMs, signal);
  const observations = [...victim.observations()];
  const judgement = judge(observations);
  if (levelRank(judgement.level) > bestRank) causalSessionId = dialogs.at(-1)?.sessionId ?? null;
  return { profile, level: judgement.level, evidence: judgement.evidence, vulnerabilities: judgement.vulnerabilities, causalSessionId, observations, refused, dialogs };
}
