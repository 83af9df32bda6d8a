/**
 * `crashtest analyze FILE...`: the product's main job. Without --json a readable summary (and a
 * progress line on a terminal); with --json one EVE-style event per line on stdout. With --config
 * the dummies are the farm its `dummies` section declares (emulated, netns, qemu).
 */
import { accessSync, constants } from 'node:fs';
import type { Command } from 'commander';
import { loadConfigFile } from '../config/index.ts';
import { Counters } from '../core/index.ts';
import { analyzeCaptures, createFarmFromConfig, type AnalyzeSummary } from '../daemon/index.ts';
import { EXIT_OK, EXIT_USAGE } from './sessions-command.ts';

interface AnalyzeOptions {
  json?: boolean;
  evidence?: string;
  signatures?: string;
  config?: string;
  enforce?: boolean;
}

interface PrintedEvent {
  event_type: string;
  [field: string]: unknown;
}

export function addAnalyzeCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('analyze')
    .description('detonate what could be an attack in dummies (emulated, or those --config declares) and report what infects')
    .argument('<file...>', 'pcap or pcapng files')
    .option('--json', 'one EVE-style JSON event per line (verdict, host_compromise, response, stats)')
    .option('--evidence <dir>', 'write per verdict: causal session pcap, behaviour trace, replay bundle')
    .option('--signatures <file>', 'learned signatures: read before the run, written back with what it learned')
    .option('--config <file>', 'a YAML or JSON configuration: its dummies (netns, qemu, emulated), every session journalled (attribution) and verdicts answered with port rules (respond), in a dry run')
    .option('--enforce', 'with --config: let the configured enforcement driver act instead of the dry run')
    .action(async (files: string[], options: AnalyzeOptions) => {
      setExitCode(await runAnalyze(files, options));
    });
}

export async function runAnalyze(files: string[], options: AnalyzeOptions): Promise<number> {
  for (const file of files) {
    try {
      accessSync(file, constants.R_OK);
    } catch {
      process.stderr.write(`crashtest: cannot read ${file}\n`);
      return EXIT_USAGE;
    }
  }
  if (options.enforce && options.config === undefined) {
    process.stderr.write('crashtest: --enforce needs --config\n');
    return EXIT_USAGE;
  }
  const config = options.config === undefined ? undefined : loadConfigFile(options.config);
  const counters = new Counters();
  // a one-shot run keeps no dummy warm; the farm is closed (every dummy reverted and gone) after it
  const farm = config ? createFarmFromConfig(config, { counters, pool: { warmPerProfile: 0 }, log: (line) => process.stderr.write(`crashtest: ${line}\n`) }) : undefined;
  const events: PrintedEvent[] = [];
  const progress = !options.json && process.stderr.isTTY ? new ProgressLine() : null;
  let summary: AnalyzeSummary;
  try {
    summary = await analyzeCaptures(files, {
      onEvent: (event) => {
        if (options.json) process.stdout.write(JSON.stringify(event) + '\n');
        else events.push(event as unknown as PrintedEvent);
      },
      ...(options.evidence !== undefined ? { evidenceDir: options.evidence } : {}),
      ...(options.signatures !== undefined ? { signaturesFile: options.signatures } : {}),
      ...(progress ? { onProgress: (state) => progress.show(state) } : {}),
      ...(config ? { config, enforce: options.enforce === true } : {}),
      ...(farm ? { farm, catalogue: farm.catalogue } : {}),
      counters,
    });
  } finally {
    await farm?.close();
  }
  progress?.clear();
  if (!options.json) process.stdout.write(renderSummary(files, events, summary));
  return summary.result.failedFiles > 0 ? EXIT_USAGE : EXIT_OK;
}

class ProgressLine {
  show(state: { file: string; jobsDone: number; jobsTotal: number }): void {
    const width = 30;
    const filled = state.jobsTotal === 0 ? width : Math.round((state.jobsDone / state.jobsTotal) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${state.jobsDone}/${state.jobsTotal} jobs  ${state.file.split('/').pop()}`.padEnd(100));
  }
  clear(): void {
    process.stderr.write(`\r${' '.repeat(100)}\r`);
  }
}

function renderSummary(files: string[], events: PrintedEvent[], summary: AnalyzeSummary): string {
  const verdicts = events.filter((event) => event.event_type === 'verdict');
  const hosts = events.filter((event) => event.event_type === 'host_compromise');
  const counters = summary.result.counters;
  const lines: string[] = [];
  lines.push(`${files.length} file(s), ${summary.result.sessions} session(s), ${counters['analyze.jobs'] ?? 0} replay job(s), ${counters['analyze.detonations'] ?? 0} detonation(s)`);
  if (verdicts.length === 0 && hosts.length === 0) lines.push('nothing infects: no verdicts, no compromised hosts');
  const order = { compromised: 0, exploited: 1, attempted: 2 } as Record<string, number>;
  verdicts.sort((a, b) => (order[String(a.level)] ?? 3) - (order[String(b.level)] ?? 3));
  for (const verdict of verdicts) {
    const evidence = (verdict.evidence as Array<Record<string, unknown>>).slice(0, 4).map(describeEvidence).join('; ');
    const vulnerability = verdict.vulnerability ? ` ${String(verdict.vulnerability)}` : '';
    lines.push(`${String(verdict.level).toUpperCase().padEnd(11)} ${String(verdict.src_ip)}:${String(verdict.src_port)} → ${String(verdict.dest_ip)}:${String(verdict.dest_port)}  on ${String(verdict.profile)}${vulnerability}`);
    if (evidence) lines.push(`            ${evidence}`);
  }
  for (const host of hosts) {
    const evidence = (host.evidence as Array<Record<string, unknown>>).slice(0, 3).map(describeEvidence).join('; ');
    lines.push(`HOST        ${String(host.host_ip)} behaves infected (${String(host.rule)})${host.attacker_ip ? ` after an attack from ${String(host.attacker_ip)}` : ''}`);
    if (evidence) lines.push(`            ${evidence}`);
  }
  lines.push(...events.filter((event) => event.event_type === 'response').map(describeResponse));
  return lines.join('\n') + '\n';
}

/** `RESPONSE    dry run: port_down sw1 Gi0/7 (02:…, 198.51.100.23) applied, rule 3: compromised on …` and the rule's note */
function describeResponse(event: PrintedEvent): string {
  const note = `\n            ${String(event.detail)}`;
  if (event.outcome === 'ignored') return `RESPONSE    no action against ${String(event.src_ip)}: ${String(event.reason)}${note}`;
  const target = (event.target ?? {}) as Record<string, unknown>;
  const mode = event.dry_run ? 'dry run: ' : '';
  const state = event.outcome === 'duplicate' ? `already rule ${String(event.rule_id)} (${String(event.state)})` : `${String(event.state)}, rule ${String(event.rule_id)}`;
  return `RESPONSE    ${mode}port_down ${String(target.switch)} ${String(target.port)} (${String(target.mac)}, ${String(target.ip)}) ${state}: ${String(event.reason)}${event.outcome === 'duplicate' ? '' : note}`;
}

function describeEvidence(item: Record<string, unknown>): string {
  if (typeof item.summary === 'string') return item.summary;
  switch (item.kind) {
    case 'exploit':
      return `${String(item.vulnerability)}: ${String(item.detail)}`;
    case 'exec':
      return `runs ${String(item.command)}`;
    case 'listen':
      return `listens on ${String(item.proto)}/${String(item.port)}`;
    case 'code':
      return `attacker code ran (${String(item.instructions)} instructions)`;
    case 'lookup':
      return `evaluates ${String(item.expression)}`;
    default:
      return String(item.kind);
  }
}
