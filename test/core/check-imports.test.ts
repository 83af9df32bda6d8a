import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkImports } from '../../scripts/check-imports.ts';

const root = mkdtempSync(join(tmpdir(), 'crashtest-imports-'));
after(() => rmSync(root, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(root, 'src-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('the real source tree has no wrong-way import', () => {
  const src = join(dirname(fileURLToPath(import.meta.url)), '../../src');
  assert.deepEqual(checkImports(src), []);
});

test('core importing a stage is refused', () => {
  const dir = tree({ 'core/a.ts': "import { x } from '../flow/index.ts';\n", 'flow/index.ts': 'export const x = 1;\n' });
  const violations = checkImports(dir);
  assert.equal(violations.length, 1);
  assert.match(violations[0]!.reason, /may not import src\/flow/);
});

test('importing the inside of another folder is refused, its index.ts is fine', () => {
  const dir = tree({
    'flow/a.ts': "import { y } from '../decode/ipv4.ts';\nimport { z } from '../decode/index.ts';\n",
    'decode/index.ts': 'export const z = 1;\n',
    'decode/ipv4.ts': 'export const y = 1;\n',
  });
  const violations = checkImports(dir);
  assert.equal(violations.length, 1);
  assert.match(violations[0]!.reason, /inside of src\/decode/);
});

test('a pure stage may not take an npm package; native clients only in drivers', () => {
  const dir = tree({
    'decode/a.ts': "import z from 'zod';\nimport { readFileSync } from 'node:fs';\n",
    'alert/b.ts': "import Database from 'better-sqlite3';\n",
    'drivers/c.ts': "import Database from 'better-sqlite3';\n",
  });
  const reasons = checkImports(dir).map((violation) => `${violation.file} ${violation.reason}`);
  assert.equal(reasons.length, 2, reasons.join('\n'));
  assert.ok(reasons.some((reason) => reason.startsWith('decode/a.ts') && /pure stage/.test(reason)));
  assert.ok(reasons.some((reason) => reason.startsWith('alert/b.ts') && /only in src\/drivers/.test(reason)));
});

test('a dynamic import is checked too', () => {
  const dir = tree({ 'capture/a.ts': "export const load = () => import('../daemon/index.ts');\n", 'daemon/index.ts': '' });
  assert.equal(checkImports(dir).length, 1);
});
