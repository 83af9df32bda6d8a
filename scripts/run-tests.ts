/**
 * Runs node's test runner over every `*.test.ts` below the given folders (default: test/).
 * Node 20's runner does not expand globs or pick up .ts files by itself, so we list them here and
 * load TypeScript through tsx.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function findTests(path: string, out: string[]): void {
  if (statSync(path).isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return;
  }
  for (const entry of readdirSync(path).sort()) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    findTests(join(path, entry), out);
  }
}

const roots = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const passThrough = process.argv.slice(2).filter((arg) => arg.startsWith('--'));
const files: string[] = [];
for (const root of roots.length > 0 ? roots : ['test']) findTests(root, files);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const concurrency = process.env.CRASHTEST_TEST_CONCURRENCY ?? '2';
const args = [
  '--import',
  'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-reporter=spec',
  ...passThrough,
  ...files.map((file) => relative(process.cwd(), file)),
];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, TZ: 'UTC' } });
process.exit(result.status ?? 1);
