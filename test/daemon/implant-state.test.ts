/**
 * A dummy keeps state until it is reverted: after EternalRomance's kernel payload has run in it,
 * a DOUBLEPULSAR ping is answered as an infected host answers it; a clean dummy answers as clean.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counters, type Session } from '../../src/core/index.ts';
import { createEmulatedFarm, detonateOnVictim } from '../../src/daemon/index.ts';
import { defaultCatalogue } from '../../src/sandbox/index.ts';
import { skipWithoutCorpus } from '../helpers/corpus.ts';
import { corpusSessions } from '../helpers/corpus-sessions.ts';

const toSmb = (sessions: Session[]) => sessions.filter((session) => session.server.port === 445).map((session) => ({ session, serviceKind: 'microsoft-ds' }));

test('after EternalRomance the dummy answers an implant check as infected, and only then', { skip: skipWithoutCorpus() }, async () => {
  const exploit = toSmb(await corpusSessions('ms17-010-eternalromance-success-2008r2.pcap'));
  const ping = toSmb(await corpusSessions('ms17-010-doublepulsar-ping-infected-win7.pcap'));
  const profile = defaultCatalogue().get('win-2008r2-sp1');
  const farm = createEmulatedFarm({ counters: new Counters() });
  const answered = (outcome: Awaited<ReturnType<typeof detonateOnVictim>>) =>
    outcome.observations.some((seen) => seen.source === 'dummy' && seen.observation.kind === 'answered' && /DOUBLEPULSAR/i.test(seen.observation.what));
  try {
    const clean = await farm.lease(profile, (victim) => detonateOnVictim(victim, profile, ping, { dwellMs: 0 }));
    assert.equal(answered(clean), false, 'a clean dummy has no implant');
    const infected = await farm.lease(profile, (victim) => detonateOnVictim(victim, profile, [...exploit, ...ping], { dwellMs: 0 }));
    assert.ok(infected.observations.some((seen) => seen.source === 'dummy' && seen.observation.kind === 'implant'), 'the kernel payload installed its implant');
    assert.ok(answered(infected), 'the implant answers the ping');
    const reverted = await farm.lease(profile, (victim) => detonateOnVictim(victim, profile, ping, { dwellMs: 0 }));
    assert.equal(answered(reverted), false, 'a revert removes it');
  } finally {
    await farm.close();
  }
});
