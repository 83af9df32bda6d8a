/**
 * Names of everything the namespace drivers create, with a per-run prefix
 * (`crashtest-<pid>-<sequence>-…`) so that a run that crashed leaves things another run can
 * recognise and remove: namespaces whose owner process is gone, with the processes inside them,
 * and their scratch directories.
 */
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';

const PREFIX = 'crashtest-';
const OWNED = /^crashtest-(\d+)-\d+-/;
let sequence = 0;

/** A fresh prefix for one containment namespace and the dummies around it. */
export function newRunPrefix(): string {
  return `${PREFIX}${process.pid}-${++sequence}`;
}

/** Scratch directory (overlay layers, pcaps) of a run prefix. */
export function scratchDirectory(prefix: string): string {
  return join(tmpdir(), 'crashtest-netns', prefix);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills every process in a namespace and deletes it; quiet when it is gone already. */
export async function deleteNamespace(name: string): Promise<void> {
  const pids = await runCommand('ip', ['netns', 'pids', name], { allowFailure: true });
  for (const pid of pids.stdout.split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  await runCommand('ip', ['netns', 'delete', name], { allowFailure: true });
}

export async function listNamespaces(): Promise<string[]> {
  const listed = await runCommand('ip', ['netns', 'list'], { allowFailure: true });
  return listed.stdout.split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name.startsWith(PREFIX));
}

/** Removes namespaces and scratch directories left by crashtest runs whose process is gone. */
export async function cleanStale(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await listNamespaces()) {
    const owner = OWNED.exec(name);
    if (owner && !alive(Number(owner[1]))) {
      await deleteNamespace(name);
      removed.push(name);
    }
  }
  const root = join(tmpdir(), 'crashtest-netns');
  let entries: string[] = [];
  try {
    entries = readdirSync(root);
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const owner = OWNED.exec(`${entry}-`);
    if (owner && !alive(Number(owner[1]))) rmSync(join(root, entry), { recursive: true, force: true });
  }
  return removed;
}
