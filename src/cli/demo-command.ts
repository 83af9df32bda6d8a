/**
 * `crashtest demo`: the whole idea in seconds with nothing else installed. It makes a small
 * capture with the product's own packet builders (attacks among ordinary traffic), then analyses
 * it exactly as `crashtest analyze` would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildDemoCapture, DEMO_CONTENTS } from '../daemon/index.ts';
import { runAnalyze } from './analyze-command.ts';
import { EXIT_USAGE } from './sessions-command.ts';

interface DemoOptions {
  json?: boolean;
  write?: string;
}

export function addDemoCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('demo')
    .description('build a small capture with attacks among ordinary traffic, analyse it and print the verdicts')
    .option('--json', 'one EVE-style JSON event per line, as `analyze --json` prints')
    .option('--write <file>', 'keep the capture in this pcap file (default: a temporary file, removed afterwards)')
    .action(async (options: DemoOptions) => {
      setExitCode(await runDemo(options));
    });
}

export async function runDemo(options: DemoOptions): Promise<number> {
  const temporaryDir = options.write === undefined ? mkdtempSync(join(tmpdir(), 'crashtest-demo-')) : null;
  const file = options.write ?? join(temporaryDir!, 'demo.pcap');
  try {
    try {
      writeFileSync(file, buildDemoCapture());
    } catch (error) {
      process.stderr.write(`crashtest: cannot write the demo capture to ${file}: ${(error as Error).message}\n`);
      return EXIT_USAGE;
    }
    // with --json stdout carries events only, so the introduction goes to stderr
    const say = (text: string): void => void (options.json ? process.stderr : process.stdout).write(text);
    say(introduction(file, temporaryDir === null));
    const code = await runAnalyze([file], { json: options.json ?? false });
    if (!options.json) say(closing(temporaryDir === null ? file : null));
    return code;
  } finally {
    if (temporaryDir !== null) rmSync(temporaryDir, { recursive: true, force: true });
  }
}

function introduction(file: string, kept: boolean): string {
  const lines = [
    `crashtest demo: a capture made just now${kept ? ` (${file})` : ''}, holding`,
    ...DEMO_CONTENTS.map((line) => `  - ${line}`),
    'Every session that could be an attack is replayed into emulated dummies; the verdicts say what they did.',
    '',
  ];
  return lines.join('\n') + '\n';
}

function closing(keptFile: string | null): string {
  const file = keptFile ?? 'demo.pcap';
  const lines = [
    '',
    'COMPROMISED: attacker code or commands ran on a dummy (it connected out, downloaded, ran a shell).',
    'EXPLOITED:   the vulnerable code path was reached with attacker data, but nothing ran.',
    'The ordinary traffic was replayed too and changed nothing, so it has no verdict.',
    keptFile === null ? 'Keep the capture with `crashtest demo --write demo.pcap`, then:' : 'Next:',
    `  crashtest analyze --json ${file}    crashtest sessions ${file}`,
  ];
  return lines.join('\n') + '\n';
}
