import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command } from 'commander';
import { addWhoCommand, parseTime } from '../../src/cli/who.ts';
import { SqliteAttributionJournal } from '../../src/drivers/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'crashtest-who-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-11-20T10:00:00Z') / 1000;
const MAC = 0x02000000000a;

const journalPath = join(dir, 'journal.sqlite');
const configPath = join(dir, 'config.json');
writeFileSync(configPath, JSON.stringify({ attribution: { journalPath } }));
const journal = new SqliteAttributionJournal({ path: journalPath, retentionDays: 30, maxBytes: 1 << 30 });
journal.recordIpMacs([{ ip: '10.0.0.10', mac: MAC, vlan: 10, source: 'arp', seconds: T0 - 600 }]);
journal.recordMacPorts([
  { mac: MAC, vlan: 10, switchName: 'access-1', port: 'Gi1/0/3', ifIndex: 10103, source: 'snmp-qbridge', seconds: T0 - 300 },
  { mac: MAC, vlan: 10, switchName: 'access-1', port: 'Gi1/0/4', ifIndex: 10104, source: 'snmp-qbridge', seconds: T0 + 7_200 },
]);
journal.recordSessions([
  {
    sessionId: 5,
    captureSeconds: T0,
    proto: 'tcp',
    srcIp: '10.0.0.10',
    srcPort: 49_152,
    dstIp: '10.0.0.200',
    dstPort: 445,
    srcMac: MAC,
    dstMac: 1,
    vlan: 10,
    switchName: 'access-1',
    port: 'Gi1/0/3',
    ifIndex: 10103,
    portSeenSeconds: T0 - 300,
  },
]);
journal.close();

async function who(...args: string[]): Promise<{ code: number; output: string }> {
  let code = -1;
  let output = '';
  const program = new Command('crashtest').exitOverride();
  addWhoCommand(program, (exit) => (code = exit), (text) => (output += text));
  await program.parseAsync(['node', 'crashtest', 'who', ...args, '--config', configPath]);
  return { code, output };
}

test('crashtest who IP --at names the MAC and the port of that time', async () => {
  const { code, output } = await who('10.0.0.10', '--at', '2026-11-20T10:00:00Z');
  assert.equal(code, 0);
  assert.match(output, /mac {4}02:00:00:00:00:0a \(arp/);
  assert.match(output, /port {3}access-1 Gi1\/0\/3 \(ifIndex 10103/);
  assert.match(output, /session 5 2026-11-20T10:00:00.000000Z tcp 10.0.0.10:49152 → 10.0.0.200:445 on access-1 Gi1\/0\/3/);
});

test('crashtest who MAC later finds the new port; --json is machine-readable', async () => {
  const { output } = await who('02-00-00-00-00-0A', '--at', String(T0 + 8_000), '--json');
  const answer = JSON.parse(output) as { mac: string; ip: string; port: { port: string } };
  assert.deepEqual([answer.mac, answer.ip, answer.port.port], ['02:00:00:00:00:0a', '10.0.0.10', 'Gi1/0/4']);
});

test('an unknown host exits 1; a bad time is a usage error', async () => {
  assert.equal((await who('192.0.2.1')).code, 1);
  assert.throws(() => parseTime('yesterday'), { code: 'CT_ERR_INVALID_ARGUMENT' });
  assert.equal(parseTime('2026-11-20 10:00'), T0);
});
