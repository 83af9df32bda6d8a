import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteAttributionJournal } from '../../src/drivers/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'crashtest-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const writer = fileURLToPath(new URL('./journal-writer.fixture.ts', import.meta.url));

test('SIGKILL during a burst of journal writes loses no committed row', async () => {
  const path = join(dir, 'crash.sqlite');
  const child = spawn(process.execPath, ['--import', 'tsx', writer, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let lastCommitted = -1;
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      // the writer prints the last session id of each batch after its transaction committed
      lastCommitted = Number(line);
      if (lastCommitted >= 20_000) resolve();
    });
    child.on('exit', () => resolve());
  });
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', 'the writer was killed, not finished');
  assert.ok(lastCommitted >= 20_000, `writer committed ${lastCommitted} rows before the kill`);

  const journal = new SqliteAttributionJournal({ path, retentionDays: 30, maxBytes: 1 << 30 });
  const { sessions } = journal.counts();
  assert.ok(sessions >= lastCommitted + 1, `journal holds ${sessions} sessions, at least the ${lastCommitted + 1} reported committed`);
  for (let id = 0; id <= lastCommitted; id += 997) assert.ok(journal.sessionById(id), `committed session ${id} is there`);
  assert.ok(journal.sessionById(lastCommitted));
  // and it still takes writes
  journal.recordSessions([{ ...journal.sessionById(0)!, sessionId: 999_999_999 }]);
  assert.ok(journal.sessionById(999_999_999));
  journal.close();
});
