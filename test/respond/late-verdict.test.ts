import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Attributor, AttributionQuery, PortPoller } from '../../src/attribution/index.ts';
import { Counters, type Session } from '../../src/core/index.ts';
import { SnmpForwardingTableReader, SnmpPortEnforcer, SqliteAttributionJournal, SqliteResponseStore } from '../../src/drivers/index.ts';
import { Responder } from '../../src/respond/index.ts';
import { SNMPSIM_MISSING, startSnmpSim, switchRecords, target, type RunningAgent, type SnmpRecord } from '../drivers/snmp-agents.ts';
import { defaultSettings, FakeClock, T0 } from './fixtures.ts';
import { sessionRecord } from '../helpers/session-record.ts';

const HOST_MAC = 0x02000000000a;

function session(id: number, seconds: number): Session {
  return sessionRecord({
    id,
    client: { ip: '10.0.0.10', port: 49_152, mac: HOST_MAC, ttl: 128 },
    server: { ip: '10.0.0.200', port: 445, mac: 0x0200000000c8, ttl: 64 },
    vlan: 10,
    startSeconds: seconds,
    endSeconds: seconds + 2,
  });
}

/** The same switch after the host moved from Gi1/0/3 (bridge port 3) to Gi1/0/4 (bridge port 4). */
function movedRecords(): SnmpRecord[] {
  return switchRecords({ qbridge: true }).map(([oid, tag, value]) =>
    oid === '1.3.6.1.2.1.17.7.1.2.2.1.2.10.2.0.0.0.0.10' ? [oid, tag, 4] : [oid, tag, value],
  );
}

describe('a verdict hours after the session, the host since moved', { skip: SNMPSIM_MISSING }, () => {
  let sim: RunningAgent;
  before(async () => {
    sim = await startSnmpSim({ switch: switchRecords({ qbridge: true }), moved: movedRecords() });
  });
  after(async () => sim?.stop());

  test('names and shuts the port recorded at capture time, not where the MAC is now', async () => {
    const clock = new FakeClock(T0);
    const counters = new Counters();
    const journal = new SqliteAttributionJournal({ path: ':memory:', retentionDays: 30, maxBytes: 1 << 30 });
    const store = new SqliteResponseStore(':memory:');
    const before = new PortPoller({ readers: [new SnmpForwardingTableReader(target(sim.port))], journal, counters, pollIntervalMs: 60_000, nowSeconds: clock.now });
    const later = new PortPoller({
      readers: [new SnmpForwardingTableReader(target(sim.port, { community: 'moved' }))],
      journal,
      counters,
      pollIntervalMs: 60_000,
      nowSeconds: clock.now,
    });
    const enforcer = new SnmpPortEnforcer([target(sim.port)]);
    const observer = new SnmpPortEnforcer([target(sim.port)]);
    const responder = new Responder({
      settings: defaultSettings({ ruleTtlSeconds: 3_600 }),
      store,
      audit: store,
      enforcer,
      attribution: new AttributionQuery(journal),
      counters,
      nowSeconds: clock.now,
    });
    try {
      // capture time: the switch has the host on Gi1/0/3
      assert.equal((await before.pollAll())[0]!.entries, 2);
      const attributor = new Attributor({ journal, counters });
      clock.advance(30);
      const row = attributor.observeSession(session(42, clock.seconds));
      attributor.flush();
      assert.equal(row.port, 'Gi1/0/3');

      // three hours on, the host has moved to Gi1/0/4 and the switch says so
      clock.advance(3 * 3_600);
      await later.pollAll();
      assert.equal(journal.portForMac(HOST_MAC, clock.seconds)?.port, 'Gi1/0/4', 'the journal knows where the MAC is now');
      const who = new AttributionQuery(journal).who('10.0.0.10', T0 + 30);
      assert.equal(who.port?.port, 'Gi1/0/3', '`who --at` the capture time names the old port');

      const outcome = await responder.handleVerdict({ sessionId: 42, srcIp: '10.0.0.10', srcMac: HOST_MAC, level: 'compromised', reason: 'late callback to 203.0.113.9:4444' });
      assert.equal(outcome.kind, 'rule');
      const rule = (outcome as { rule: { state: string; target: { port: string; ifIndex: number; basis: string } } }).rule;
      assert.deepEqual([rule.state, rule.target.port, rule.target.ifIndex, rule.target.basis], ['applied', 'Gi1/0/3', 10103, 'session']);
      assert.equal(await observer.adminStatus('sim-switch', 10103), 2, 'the recorded port is down');
      assert.equal(await observer.adminStatus('sim-switch', 10104), 1, 'the port the MAC is on now was not touched');
      await responder.undo((outcome as { rule: { id: number } }).rule.id, 'test');
      assert.equal(await observer.adminStatus('sim-switch', 10103), 1);
    } finally {
      responder.close();
      observer.close();
      before.close();
      later.close();
      store.close();
      journal.close();
    }
  });
});
