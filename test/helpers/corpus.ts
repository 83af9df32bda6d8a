/**
 * Where the shared corpus of real captures lives: $CRASHTEST_CORPUS, else ../shared/corpus beside
 * the repository. The captures are never copied into the project (several licences forbid it).
 * Tests that need them skip with a visible message when the folder is absent.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export function corpusDir(): string {
  return resolve(process.env.CRASHTEST_CORPUS ?? join(repoRoot, '..', 'shared', 'corpus'));
}

export function corpusAvailable(): boolean {
  return existsSync(join(corpusDir(), 'MANIFEST.tsv'));
}

/** Capture files in the corpus, sorted by name. */
export function corpusCaptures(): string[] {
  if (!corpusAvailable()) return [];
  return readdirSync(corpusDir())
    .filter((name) => /\.(pcap|pcapng|cap)$/.test(name))
    .sort()
    .map((name) => join(corpusDir(), name));
}

/** The `skip` option for a corpus test: false when present, else the message shown in the summary. */
export function skipWithoutCorpus(): string | false {
  return corpusAvailable() ? false : `corpus not found at ${corpusDir()} (set CRASHTEST_CORPUS)`;
}
