/**
 * Benign sessions against the same dummies produce no egress at all. Every session of every
 * `benign-*` corpus capture is identified as the triage stage does it; its client side is played,
 * in capture order, into one emulated dummy of each catalogue profile that exposes that service
 * (on the port the profile serves it on), then the dummy dwells ten virtual minutes. Not one
 * containment event may appear, nor any sign of attack from inside (exploit, code, exec, listen,
 * file, implant). All sessions are played, none sampled: the sweep takes about 2 s.
 */
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import type { Profile } from '../../src/config/index.ts';
import type { Session } from '../../src/core/index.ts';
import { detonateOnVictim, portFor, type DetonationItem } from '../../src/daemon/index.ts';
import { EmulatedDriver } from '../../src/drivers/index.ts';
import { defaultInterpreters, serviceResolver } from '../../src/emulator/index.ts';
import { defaultCatalogue, type Observation } from '../../src/sandbox/index.ts';
import { ServiceIdentifier } from '../../src/triage/index.ts';
import { corpusSessions } from '../helpers/corpus-sessions.ts';
import { corpusCaptures, skipWithoutCorpus } from '../helpers/corpus.ts';

const catalogue = defaultCatalogue();
const identifier = new ServiceIdentifier(catalogue);
const DWELL_MS = 600_000; // 10 min of the dummy's virtual time, as analyze watches
/** what a benign session must never make a dummy do */
const ATTACK_SIGNS = new Set(['exploit', 'code', 'exec', 'listen', 'file', 'implant']);

function benignCaptures(): string[] {
  return corpusCaptures()
    .map((path) => basename(path))
    .filter((name) => name.startsWith('benign-'));
}

function complaint(observation: Observation): string | null {
  if (observation.source === 'containment') return `egress ${observation.event.facts.kind} to ${observation.event.destination.address}:${observation.event.destination.port}`;
  if (ATTACK_SIGNS.has(observation.observation.kind)) return `${observation.observation.kind}: ${JSON.stringify(observation.observation).slice(0, 240)}`;
  return null;
}

/** The capture's sessions grouped per profile: the ones whose service that profile exposes. */
function playsPerProfile(sessions: readonly Session[]): { plays: Map<Profile, DetonationItem[]>; unserved: number } {
  const plays = new Map<Profile, DetonationItem[]>();
  let unserved = 0;
  for (const session of sessions) {
    const serviceKind = identifier.identify(session)?.kind;
    const profiles = serviceKind === undefined ? [] : catalogue.list().filter((profile) => portFor(profile, serviceKind, session.proto, session.server.port) !== null);
    if (profiles.length === 0) unserved++;
    for (const profile of profiles) {
      const items = plays.get(profile) ?? [];
      items.push({ session, serviceKind: serviceKind! });
      plays.set(profile, items);
    }
  }
  return { plays, unserved };
}

describe('benign corpus sessions against emulated dummies: no egress, no attack signs', { skip: skipWithoutCorpus() }, () => {
  const captures = benignCaptures();

  it('the corpus has benign captures', () => {
    assert.ok(captures.length >= 10, `found ${captures.length}`);
  });

  for (const capture of captures) {
    it(capture, async () => {
      const sessions = await corpusSessions(capture);
      const { plays, unserved } = playsPerProfile(sessions);
      // sessions no profile serves (FTP data connections, ephemeral ports) have no dummy to reach
      assert.ok(plays.size > 0, `${capture}: none of its ${sessions.length} sessions (${unserved} unserved) reaches a profile`);
      const driver = new EmulatedDriver({ services: serviceResolver(), interpreters: defaultInterpreters() });
      const complaints: string[] = [];
      let answered = 0;
      try {
        for (const [profile, items] of plays) {
          const victim = await driver.create(profile);
          const outcome = await detonateOnVictim(victim, profile, items, { dwellMs: DWELL_MS });
          if (!outcome.refused) answered++;
          for (const observation of outcome.observations) {
            const found = complaint(observation);
            if (found) complaints.push(`${profile.id} (sessions ${items.map((item) => item.session.id).join(',')}): ${found}`);
          }
          await victim.close();
        }
      } finally {
        await driver.close();
      }
      assert.deepEqual(complaints, []);
      // not vacuous: some dummy took the traffic in
      assert.ok(answered > 0, `${capture}: every dummy refused its sessions`);
    });
  }
});
