import type { Rule } from './rule.ts';

/** What an enforcement driver can do, declared instead of failing with "not implemented". */
export interface EnforcerCapabilities {
  /** can take a switch port down */
  portDown: boolean;
  /** can bring it back up when the rule ends */
  restore: boolean;
  /** reads the port back after a change, so `applied` means the switch says so */
  verify: boolean;
  /** false for drivers that only record (dry run) */
  touchesNetwork: boolean;
}

/**
 * An enforcement backend (SNMP ifAdminStatus, webhook, command, dry run). It receives its config and
 * clients by injection, never touches the rule store or audit log, and reports by resolving (with a
 * note for the audit log) or rejecting (CT_ERR_ENFORCEMENT / CT_ERR_SNMP).
 */
export interface Enforcer {
  readonly name: string;
  readonly capabilities: EnforcerCapabilities;
  /** null when the driver takes the rule; otherwise why it declines (then the rule fails with that reason) */
  accepts(rule: Rule): string | null;
  apply(rule: Rule, signal?: AbortSignal): Promise<string>;
  remove(rule: Rule, signal?: AbortSignal): Promise<string>;
  close(): void;
}

/** The fake driver and the safe default: records what would have happened, touches nothing. */
export class DryRunEnforcer implements Enforcer {
  readonly name = 'dry-run';
  readonly capabilities: EnforcerCapabilities = { portDown: true, restore: true, verify: false, touchesNetwork: false };
  readonly calls: { operation: 'apply' | 'remove'; ruleId: number }[] = [];

  accepts(): string | null {
    return null;
  }

  async apply(rule: Rule): Promise<string> {
    this.calls.push({ operation: 'apply', ruleId: rule.id });
    return `dry run: would set ${rule.target.switchName} ${rule.target.port} down`;
  }

  async remove(rule: Rule): Promise<string> {
    this.calls.push({ operation: 'remove', ruleId: rule.id });
    return `dry run: would set ${rule.target.switchName} ${rule.target.port} up`;
  }

  close(): void {}
}
