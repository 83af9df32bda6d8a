/**
 * `crashtest web FILE...` end to end: the demo capture analysed, the dashboard served on a free
 * loopback port with a one-off admin token printed in the link, Ctrl-C (SIGINT) stops it cleanly.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildDemoCapture } from '../../src/daemon/index.ts';
import { repoRoot } from '../helpers/corpus.ts';

test('crashtest web serves the dashboard over a capture with a one-off token, until SIGINT', async () => {
  const workDir = mkdtempSync(join(tmpdir(), 'crashtest-web-command-'));
  after(() => rmSync(workDir, { recursive: true, force: true }));
  const capture = join(workDir, 'demo.pcap');
  writeFileSync(capture, buildDemoCapture());
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'crashtest.js'), 'web', '--port', '0', capture], { stdio: ['ignore', 'pipe', 'pipe'] });
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const link = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no dashboard link within 120 s:\n${output}`)), 120_000);
    child.stdout.on('data', () => {
      const match = /^dashboard: (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', () => reject(new Error(`exited before serving:\n${output}`)));
  });
  const url = new URL(link);
  const token = url.hash.slice('#token='.length);
  assert.ok(token.length >= 16);
  const authorization = { authorization: `Bearer ${token}` };
  const whoami = await fetch(new URL('/api/whoami', url), { headers: authorization });
  assert.deepEqual(await whoami.json(), { name: 'web:admin', role: 'admin' });
  const { events } = (await (await fetch(new URL('/api/events?type=verdict', url), { headers: authorization })).json()) as { events: unknown[] };
  assert.ok(events.length > 0, `the demo capture gives verdicts:\n${output}`);
  assert.equal((await fetch(new URL('/api/events', url))).status, 401);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  assert.equal(await exited, 0, output);
});
