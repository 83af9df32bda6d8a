import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { defaultConfig, loadConfigFile } from '../config/index.ts';
import { CrashtestError, formatTimestamp } from '../core/index.ts';
import { openRespondService, RULE_STATES, type AuditEntry, type RespondService, type Rule, type RuleState } from '../daemon/index.ts';
import { addWhoCommand, type WriteText } from './who.ts';

interface CommonOptions {
  config?: string;
  json?: boolean;
}

const writeStdout: WriteText = (text) => void process.stdout.write(text);

/** Registers `crashtest who` and `crashtest respond …` in one call (what src/cli/main.ts uses). */
export function addAttributionCommands(program: Command, setExitCode: (code: number) => void, write: WriteText = writeStdout): void {
  addWhoCommand(program, setExitCode, write);
  addRespondCommand(program, setExitCode, write);
}

/** `crashtest respond list|approve|undo|audit`: the rules the response stage holds, and the audit log. */
export function addRespondCommand(program: Command, setExitCode: (code: number) => void, write: WriteText = writeStdout): void {
  const respond = program.command('respond').description('response rules (port shut-downs): list, approve, undo, audit log');
  const withService = async (options: CommonOptions, work: (service: RespondService) => Promise<void>) => {
    const config = options.config === undefined ? defaultConfig() : loadConfigFile(options.config);
    const service = openRespondService(config);
    try {
      await work(service);
    } finally {
      service.close();
    }
  };
  respond
    .command('list')
    .description('rules, newest first')
    .option('--state <states>', `comma-separated states (${RULE_STATES.join(', ')})`)
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'one JSON object per line')
    .option('--config <file>', 'a JSON configuration file')
    .action(async (options: CommonOptions & { state?: string; limit: string }) => {
      await withService(options, async (service) => {
        const rules = service.list(parseStates(options.state), parseId(options.limit, '--limit'));
        if (options.json) write(rules.map((rule) => `${JSON.stringify(rule)}\n`).join(''));
        else write(renderRules(rules, service));
        setExitCode(0);
      });
    });
  for (const [name, description] of [
    ['approve', 'apply a rule that waits for approval (the safety rails are checked again)'],
    ['undo', 'withdraw a waiting rule, or restore the port of an applied one'],
  ] as const) {
    respond
      .command(name)
      .description(description)
      .argument('<id>', 'rule id (see respond list)')
      .option('--as <name>', 'who is acting, for the audit log (default: the login name)')
      .option('--json', 'the rule as JSON')
      .option('--config <file>', 'a JSON configuration file')
      .action(async (id: string, options: CommonOptions & { as?: string }) => {
        await withService(options, async (service) => {
          const actor = options.as ?? userInfo().username;
          const ruleId = parseId(id, 'rule id');
          const rule = name === 'approve' ? await service.approve(ruleId, actor) : await service.undo(ruleId, actor);
          write(options.json ? `${JSON.stringify(rule)}\n` : renderRules([rule], service));
          setExitCode(rule.state === 'applied' || rule.state === 'rolled_back' ? 0 : 1);
        });
      });
  }
  respond
    .command('audit')
    .description('the append-only audit log, newest first')
    .option('--rule <id>', 'only this rule')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'one JSON object per line')
    .option('--config <file>', 'a JSON configuration file')
    .action(async (options: CommonOptions & { rule?: string; limit: string }) => {
      await withService(options, async (service) => {
        const entries = service.audit({ ruleId: options.rule === undefined ? undefined : parseId(options.rule, '--rule'), limit: parseId(options.limit, '--limit') });
        write(options.json ? entries.map((entry) => `${JSON.stringify(entry)}\n`).join('') : renderAudit(entries));
        setExitCode(0);
      });
    });
}

function parseStates(text: string | undefined): RuleState[] | undefined {
  if (text === undefined) return undefined;
  const states = text.split(',').map((state) => state.trim());
  for (const state of states) {
    if (!(RULE_STATES as readonly string[]).includes(state)) {
      throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `--state: expected one of ${RULE_STATES.join(', ')}, found '${state}'`, { key: '--state' });
    }
  }
  return states as RuleState[];
}

function parseId(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `${what}: expected a whole number, found '${text}'`, { key: what });
  return Number(text);
}

function time(seconds: number | null): string {
  return seconds === null ? '-' : formatTimestamp({ seconds: Math.floor(seconds), nanoseconds: 0 });
}

export function renderRules(rules: readonly Rule[], service: Pick<RespondService, 'driver'>): string {
  const header = `driver ${service.driver.name} (${Object.entries(service.driver.capabilities)
    .filter(([, value]) => value)
    .map(([key]) => key)
    .join(', ')})`;
  const lines = rules.map((rule) =>
    [
      `#${rule.id}`,
      rule.state.padEnd(11),
      `${rule.target.switchName} ${rule.target.port}`.padEnd(24),
      `${rule.target.mac} ${rule.target.ip}`,
      `session ${rule.reason.sessionId} ${rule.reason.level}: ${rule.reason.text}`,
      `created ${time(rule.createdSeconds)}`,
      rule.expiresSeconds !== null ? `expires ${time(rule.expiresSeconds)}` : '',
      rule.detail ? `— ${rule.detail}` : '',
    ]
      .filter(Boolean)
      .join('  '),
  );
  return `${[header, ...(lines.length > 0 ? lines : ['no rules'])].join('\n')}\n`;
}

function renderAudit(entries: readonly AuditEntry[]): string {
  if (entries.length === 0) return 'audit log is empty\n';
  return entries.map((entry) => `${time(entry.seconds)}  ${entry.event.padEnd(17)} rule ${entry.ruleId ?? '-'}  ${entry.actor}  ${entry.detail}\n`).join('');
}
