import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command } from 'commander';
import { addRespondCommand } from '../../src/cli/respond.ts';
import { loadConfigFile } from '../../src/config/index.ts';
import { openRespondService } from '../../src/daemon/index.ts';
import { SqliteAttributionJournal } from '../../src/drivers/index.ts';
import { sessionRow } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'crashtest-respond-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const configPath = join(dir, 'config.json');
// the defaults: dry run, approval required
writeFileSync(configPath, JSON.stringify({ attribution: { journalPath: join(dir, 'journal.sqlite') }, respond: { storePath: join(dir, 'respond.sqlite') } }));

async function cli(...args: string[]): Promise<{ code: number; output: string }> {
  let code = -1;
  let output = '';
  const program = new Command('crashtest').exitOverride();
  addRespondCommand(program, (exit) => (code = exit), (text) => (output += text));
  await program.parseAsync(['node', 'crashtest', 'respond', ...args, '--config', configPath]);
  return { code, output };
}

test('a verdict waits for approval; respond list, approve, undo and audit work across processes', async () => {
  const config = loadConfigFile(configPath);
  assert.equal(config.respond.dryRun, true);
  assert.equal(config.respond.approvalRequired, true);
  const journal = new SqliteAttributionJournal({ path: config.attribution.journalPath, retentionDays: 30, maxBytes: 1 << 30 });
  journal.recordSessions([sessionRow(1, 0x020000000001, 'Gi1/0/3', { captureSeconds: Date.now() / 1000 })]);
  journal.close();

  // the daemon side: a verdict arrives
  const daemon = openRespondService(config);
  const outcome = await daemon.handleVerdict({ sessionId: 1, srcIp: '10.0.0.1', srcMac: 0x020000000001, level: 'compromised', reason: 'reverse shell to 10.9.9.9:4444' });
  assert.equal(outcome.kind === 'rule' && outcome.rule.state, 'requested');

  const listed = await cli('list', '--state', 'requested');
  assert.match(listed.output, /^driver dry-run \(portDown, restore\)/);
  assert.match(listed.output, /#1 {2}requested .*access-1 Gi1\/0\/3 .*session 1 compromised: reverse shell .*awaiting approval/);

  const approved = await cli('approve', '1', '--as', 'alice', '--json');
  assert.equal(approved.code, 0);
  assert.equal((JSON.parse(approved.output) as { state: string }).state, 'applied');
  assert.equal(daemon.list(['applied']).length, 1, 'the daemon sees the CLI’s approval');

  const undone = await cli('undo', '1', '--as', 'alice');
  assert.match(undone.output, /#1 {2}rolled_back/);
  const audit = await cli('audit', '--rule', '1');
  assert.deepEqual(
    audit.output.trim().split('\n').map((line) => line.split(/\s+/)[1]).reverse(),
    ['requested', 'awaiting_approval', 'approved', 'applied', 'rolled_back'],
  );
  await assert.rejects(cli('approve', '1'), { code: 'CT_ERR_INVALID_STATE' });
  await assert.rejects(cli('list', '--state', 'bogus'), { code: 'CT_ERR_INVALID_ARGUMENT' });
  daemon.close();
});
