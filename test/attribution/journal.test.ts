import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { SessionAttribution } from '../../src/attribution/index.ts';
import { SqliteAttributionJournal } from '../../src/drivers/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'crashtest-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400;
const T0 = 1_700_000_000;

function session(id: number, seconds: number, overrides: Partial<SessionAttribution> = {}): SessionAttribution {
  return {
    sessionId: id,
    captureSeconds: seconds,
    proto: 'tcp',
    srcIp: '10.0.0.5',
    srcPort: 40_000 + (id % 20_000),
    dstIp: '10.0.0.80',
    dstPort: 445,
    srcMac: 0x020000000005,
    dstMac: 0x020000000080,
    vlan: 10,
    switchName: 'access-1',
    port: 'Gi1/0/5',
    ifIndex: 10105,
    portSeenSeconds: seconds - 30,
    ...overrides,
  };
}

function open(name: string, overrides: { retentionDays?: number; maxBytes?: number } = {}) {
  return new SqliteAttributionJournal({ path: join(dir, name), retentionDays: overrides.retentionDays ?? 30, maxBytes: overrides.maxBytes ?? 1 << 30 });
}

test('the journal runs in WAL mode with indexes for IP, MAC and time lookups', () => {
  const journal = open('wal.sqlite');
  assert.equal(journal.journalMode(), 'wal');
  const indexes = journal.indexNames();
  for (const name of ['sessions_by_ip', 'sessions_by_mac', 'sessions_by_time', 'ip_mac_by_ip', 'mac_port_by_mac', 'mac_port_by_port']) {
    assert.ok(indexes.includes(name), `index ${name} exists`);
  }
  journal.close();
  journal.close(); // idempotent
  assert.throws(() => journal.sessionById(1), { code: 'CT_ERR_INVALID_STATE' });
});

test('sessions, IP→MAC and MAC→port history survive a restart and answer by time', () => {
  const path = 'restart.sqlite';
  let journal = open(path);
  journal.recordSessions([session(1, T0), session(2, T0 + 10, { srcIp: '10.0.0.6' })]);
  journal.recordIpMacs([
    { ip: '10.0.0.5', mac: 0x020000000005, vlan: 10, source: 'arp', seconds: T0 - 100 },
    { ip: '10.0.0.5', mac: 0x020000000005, vlan: 10, source: 'arp', seconds: T0 + 100 },
    // the address moves to another host
    { ip: '10.0.0.5', mac: 0x020000000099, vlan: 10, source: 'dhcp', seconds: T0 + 1_000 },
  ]);
  journal.recordMacPorts([
    { mac: 0x020000000005, vlan: 10, switchName: 'access-1', port: 'Gi1/0/5', ifIndex: 10105, source: 'snmp-qbridge', seconds: T0 - 60 },
    { mac: 0x020000000005, vlan: 10, switchName: 'access-1', port: 'Gi1/0/5', ifIndex: 10105, source: 'snmp-qbridge', seconds: T0 },
    { mac: 0x020000000005, vlan: 10, switchName: 'access-1', port: 'Gi1/0/9', ifIndex: 10109, source: 'snmp-qbridge', seconds: T0 + 500 },
  ]);
  journal.close();

  journal = open(path);
  assert.deepEqual(journal.counts(), { sessions: 2, ipMac: 2, macPort: 2 }, 'unchanged pairs extend one interval instead of adding rows');
  assert.equal(journal.sessionById(2)?.srcIp, '10.0.0.6');
  assert.equal(journal.sessionsByIp('10.0.0.5', T0 - 1, T0 + 1).length, 1);
  assert.equal(journal.macForIp('10.0.0.5', T0)?.mac, 0x020000000005);
  assert.equal(journal.macForIp('10.0.0.5', T0 + 2_000)?.mac, 0x020000000099);
  assert.equal(journal.macForIp('10.0.0.5', T0 - 1_000), null, 'nothing before the first sighting');
  assert.equal(journal.portForMac(0x020000000005, T0 + 10)?.port, 'Gi1/0/5');
  assert.equal(journal.portForMac(0x020000000005, T0 + 600)?.port, 'Gi1/0/9');
  journal.close();
});

test('a host seen through an uplink on a second switch is placed on its access port', () => {
  const journal = open('uplink.sqlite');
  const host = 0x020000000005;
  const rows = [{ mac: host, vlan: 10, switchName: 'access-1', port: 'Gi1/0/5', ifIndex: 5, source: 'snmp-qbridge' as const, seconds: T0 }];
  for (let index = 0; index < 20; index++) {
    rows.push({ mac: 0x020000001000 + index, vlan: 10, switchName: 'core', port: 'Te1/1/1', ifIndex: 1, source: 'snmp-qbridge', seconds: T0 });
  }
  rows.push({ mac: host, vlan: 10, switchName: 'core', port: 'Te1/1/1', ifIndex: 1, source: 'snmp-qbridge', seconds: T0 + 1 });
  journal.recordMacPorts(rows);
  assert.equal(journal.portForMac(host, T0 + 5)?.switchName, 'access-1');
  assert.deepEqual(journal.portOccupancy('core', 'Te1/1/1', T0 - 10, T0 + 10), { macs: 21, vlans: 1 });
  journal.close();
});

test('retention in days drops old rows; the size bound drops the oldest first', () => {
  const journal = open('prune.sqlite', { retentionDays: 7, maxBytes: 256 * 1024 });
  journal.recordSessions([session(1, T0 - 10 * DAY), session(2, T0 - 1 * DAY)]);
  const expired = journal.prune(T0);
  assert.equal(expired.expiredRows, 1);
  assert.equal(journal.sessionById(1), null);
  assert.ok(journal.sessionById(2));

  const batch: SessionAttribution[] = [];
  for (let id = 10; id < 20_010; id++) batch.push(session(id, T0 - DAY + id));
  journal.recordSessions(batch);
  assert.ok(journal.sizeBytes() > 256 * 1024);
  const bounded = journal.prune(T0);
  assert.ok(bounded.sizeRows > 0, 'rows were pruned for size');
  assert.ok(journal.sizeBytes() <= 256 * 1024, `journal is ${journal.sizeBytes()} bytes after pruning`);
  assert.ok(journal.sessionById(20_009), 'the newest session stays');
  assert.equal(journal.sessionById(10), null, 'the oldest session went first');
  journal.close();
});
