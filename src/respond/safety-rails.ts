import type { PortOccupancy } from '../attribution/index.ts';
import type { RuleStore, RuleTarget } from './rule.ts';

export interface SafetyRailSettings {
  protectedPorts: readonly { switch: string; port: string }[];
  /** regular expressions on port names; a leading (?i) makes one case-insensitive */
  protectedPortPatterns: readonly string[];
  protectMacCountAbove: number;
  maxActionsPerHour: number;
}

/** Stable refusal codes; the audit log and `respond list` show them with the facts behind them. */
export type RefusalCode = 'protected_port_listed' | 'protected_port_pattern' | 'protected_port_mac_count' | 'protected_port_trunk' | 'rate_limited';

export interface Refusal {
  code: RefusalCode;
  detail: string;
}

/**
 * The rails between a verdict and a port: never shut a protected port (configured, named like an
 * uplink or trunk, carrying many MACs or several VLANs), never more than N actions an hour.
 */
export class SafetyRails {
  private readonly patterns: RegExp[];

  constructor(
    private readonly settings: SafetyRailSettings,
    private readonly occupancy: (switchName: string, port: string, fromSeconds: number, toSeconds: number) => PortOccupancy,
  ) {
    this.patterns = settings.protectedPortPatterns.map((pattern) =>
      pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), 'i') : new RegExp(pattern),
    );
  }

  /** Why this port must not be shut, or null. */
  protectedPort(target: RuleTarget, nowSeconds: number): Refusal | null {
    const listed = this.settings.protectedPorts.find((entry) => entry.switch === target.switchName && entry.port === target.port);
    if (listed) return { code: 'protected_port_listed', detail: `${target.switchName} ${target.port} is in respond.protectedPorts` };
    const pattern = this.patterns.find((regexp) => regexp.test(target.port));
    if (pattern) return { code: 'protected_port_pattern', detail: `${target.switchName} ${target.port} matches protected pattern ${pattern}` };
    // Look at the port from an hour before the capture until now: an uplink shows many MACs over time.
    const seen = this.occupancy(target.switchName, target.port, target.captureSeconds - 3_600, Math.max(nowSeconds, target.captureSeconds));
    if (seen.vlans > 1) return { code: 'protected_port_trunk', detail: `${target.switchName} ${target.port} carries MACs in ${seen.vlans} VLANs (a trunk)` };
    if (seen.macs > this.settings.protectMacCountAbove) {
      return {
        code: 'protected_port_mac_count',
        detail: `${target.switchName} ${target.port} carries ${seen.macs} MACs, more than respond.protectMacCountAbove (${this.settings.protectMacCountAbove})`,
      };
    }
    return null;
  }

  /** Why one more action now would exceed the hourly budget, or null. */
  rateLimited(store: RuleStore, nowSeconds: number): Refusal | null {
    const applied = store.countAppliedSince(nowSeconds - 3_600);
    if (applied < this.settings.maxActionsPerHour) return null;
    return { code: 'rate_limited', detail: `${applied} actions in the last hour, respond.maxActionsPerHour is ${this.settings.maxActionsPerHour}` };
  }
}
