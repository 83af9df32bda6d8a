import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CrashtestError } from '../../core/index.ts';
import type { Enforcer, EnforcerCapabilities, Rule } from '../../respond/index.ts';

const run = promisify(execFile);

export interface CommandEnforcerOptions {
  path: string;
  /** `{action}` `{switch}` `{port}` `{ifIndex}` `{mac}` `{ip}` `{ruleId}` are replaced in each argument */
  args: readonly string[];
  timeoutMs: number;
}

/**
 * Runs a program with arguments through execFile: no shell, so a port name like `Gi1/0/1; rm -rf`
 * stays one argument. Exit status 0 means done; `{action}` is `down` or `up`.
 */
export class CommandEnforcer implements Enforcer {
  readonly name = 'command';
  readonly capabilities: EnforcerCapabilities = { portDown: true, restore: true, verify: false, touchesNetwork: true };

  constructor(private readonly options: CommandEnforcerOptions) {}

  accepts(rule: Rule): string | null {
    if (this.options.path === '') return 'respond.commandPath is empty';
    return rule.action === 'port_down' ? null : `action ${rule.action} is not supported`;
  }

  apply(rule: Rule, signal?: AbortSignal): Promise<string> {
    return this.run('down', rule, signal);
  }

  remove(rule: Rule, signal?: AbortSignal): Promise<string> {
    return this.run('up', rule, signal);
  }

  close(): void {}

  /** The argument list for a rule, as execFile receives it. */
  argumentsFor(action: 'down' | 'up', rule: Rule): string[] {
    const values: Record<string, string> = {
      action,
      switch: rule.target.switchName,
      port: rule.target.port,
      ifIndex: String(rule.target.ifIndex),
      mac: rule.target.mac,
      ip: rule.target.ip,
      ruleId: String(rule.id),
    };
    return this.options.args.map((arg) => arg.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole));
  }

  private async run(action: 'down' | 'up', rule: Rule, signal?: AbortSignal): Promise<string> {
    const args = this.argumentsFor(action, rule);
    try {
      const { stdout } = await run(this.options.path, args, { timeout: this.options.timeoutMs, signal, maxBuffer: 64 * 1024, shell: false });
      return `${this.options.path} ${action} exited 0${stdout.trim() ? `: ${stdout.trim().slice(0, 200)}` : ''}`;
    } catch (error) {
      const failure = error as Error & { code?: number | string; signal?: string; stderr?: string };
      const how = failure.signal ? `killed by ${failure.signal}` : `exit ${failure.code}`;
      throw new CrashtestError(
        'CT_ERR_ENFORCEMENT',
        `command ${this.options.path} ${action} for rule ${rule.id} failed (${how}): ${(failure.stderr ?? failure.message).trim().slice(0, 300)}`,
        { command: this.options.path },
        { cause: error },
      );
    }
  }
}
