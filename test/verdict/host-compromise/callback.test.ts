import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostCompromiseDetector } from '../../../src/verdict/host-compromise/index.ts';
import { at, builtSession } from './built-sessions.ts';

const ATTACKER = '10.9.9.9';
const VICTIM = '10.1.1.1';

function attackSession(start = 0) {
  return builtSession({ client: `${ATTACKER}:40000`, server: `${VICTIM}:445`, start, turns: [{ direction: 'to_server', at: 0, data: 'exploit bytes' }] });
}

test('callback: the victim connects to the attacker within the window after a noted attack', () => {
  const detector = new HostCompromiseDetector();
  const attack = attackSession(0);
  assert.deepEqual(detector.observe(attack), []);
  assert.deepEqual(detector.noteAttack({ sessionId: attack.id, attacker: ATTACKER, victim: VICTIM, time: at(0) }), []);
  const callback = builtSession({ client: `${VICTIM}:50000`, server: `${ATTACKER}:4444`, start: 3 });
  const findings = detector.observe(callback);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.rule, 'callback');
  assert.equal(findings[0]!.hostIp, VICTIM);
  assert.equal(findings[0]!.attackerIp, ATTACKER);
  assert.deepEqual(findings[0]!.timestamp, at(3));
  assert.deepEqual(findings[0]!.sessionIds, [attack.id, callback.id]);
  assert.equal(findings[0]!.evidence[1]!.kind, 'connection_to_attacker');
  assert.equal(findings[0]!.evidence[1]!.port, 4444);
  // a second connection back is the same compromise, not a new finding
  assert.deepEqual(detector.observe(builtSession({ client: `${VICTIM}:50001`, server: `${ATTACKER}:4444`, start: 5 })), []);
});

test('callback: a note that arrives after the callback still completes the match', () => {
  const detector = new HostCompromiseDetector();
  const attack = attackSession(0);
  detector.observe(attack);
  detector.observe(builtSession({ client: `${VICTIM}:50000`, server: `${ATTACKER}:4444`, start: 2 }));
  const findings = detector.noteAttack({ sessionId: attack.id, attacker: ATTACKER, victim: VICTIM, time: at(0) });
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.hostIp, VICTIM);
});

test('callback: a predicted destination counts, with its port and protocol', () => {
  const detector = new HostCompromiseDetector();
  const attack = attackSession(0);
  detector.observe(attack);
  detector.noteAttack({ sessionId: attack.id, attacker: ATTACKER, victim: VICTIM, time: at(0), predicted: [{ address: '10.7.7.7', port: 1389, proto: 'tcp' }] });
  assert.deepEqual(detector.observe(builtSession({ client: `${VICTIM}:50000`, server: '10.7.7.7:80', start: 1 })), [], 'another port of the predicted host');
  const findings = detector.observe(builtSession({ client: `${VICTIM}:50001`, server: '10.7.7.7:1389', start: 1.5 }));
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.evidence[1]!.kind, 'connection_to_predicted_destination');
});

test('callback: nothing outside the window, before the attack, or as a protocol reflex', () => {
  const detector = new HostCompromiseDetector({ options: { callback: { windowSeconds: 60 } } });
  detector.observe(builtSession({ client: `${VICTIM}:49000`, server: `${ATTACKER}:4444`, start: 0 })); // before the attack
  const attack = attackSession(10);
  detector.observe(attack);
  detector.noteAttack({ sessionId: attack.id, attacker: ATTACKER, victim: VICTIM, time: at(10) });
  assert.deepEqual(detector.observe(builtSession({ client: `${VICTIM}:137`, server: `${ATTACKER}:137`, start: 11, proto: 'udp' })), [], 'NetBIOS name query back');
  assert.deepEqual(detector.observe(builtSession({ client: `${VICTIM}:50000`, server: `${ATTACKER}:113`, start: 12 })), [], 'ident lookup');
  assert.deepEqual(detector.observe(builtSession({ client: '10.1.1.2:50000', server: `${ATTACKER}:4444`, start: 13 })), [], 'another host');
  assert.deepEqual(detector.observe(builtSession({ client: `${VICTIM}:50001`, server: `${ATTACKER}:4444`, start: 75 })), [], 'after the window');
});

test('callback: memory stays bounded when notes name many victims', () => {
  const detector = new HostCompromiseDetector({ options: { callback: { hosts: 16 } } });
  for (let index = 0; index < 200; index++) {
    detector.noteAttack({ sessionId: index, attacker: ATTACKER, victim: `10.2.${index >> 8}.${index & 255}`, time: at(index) });
  }
  assert.ok(detector.counters.get('host_compromise.callback.notes_evicted') >= 184);
});
