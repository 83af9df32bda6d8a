/**
 * Factories the daemon calls to turn the frozen config into drivers for the attribution and
 * response stages; the stages never see these classes.
 */
import type { ForwardingTableReader } from '../attribution/index.ts';
import { StaticPortMap } from '../attribution/index.ts';
import type { FrozenConfig } from '../config/index.ts';
import { DryRunEnforcer, type Enforcer } from '../respond/index.ts';
import { CommandEnforcer } from './enforcement/command-enforcer.ts';
import { SnmpPortEnforcer } from './enforcement/snmp-port-enforcer.ts';
import { WebhookEnforcer } from './enforcement/webhook-enforcer.ts';
import { SqliteAttributionJournal } from './store/sqlite-attribution-journal.ts';
import { SqliteResponseStore } from './store/sqlite-response-store.ts';
import type { SnmpTarget } from './switch/snmp-client.ts';
import { SnmpForwardingTableReader } from './switch/snmp-forwarding-table-reader.ts';

export function openAttributionJournal(config: FrozenConfig['attribution']): SqliteAttributionJournal {
  return new SqliteAttributionJournal({ path: config.journalPath, retentionDays: config.retentionDays, maxBytes: config.maxJournalBytes });
}

export function openResponseStore(config: FrozenConfig['respond']): SqliteResponseStore {
  return new SqliteResponseStore(config.storePath);
}

/** One SNMP reader per configured switch, plus one static map per switch named in staticPorts. */
export function createForwardingTableReaders(config: FrozenConfig['attribution']): ForwardingTableReader[] {
  return [...config.switches.map((target) => new SnmpForwardingTableReader(target as SnmpTarget)), ...StaticPortMap.fromEntries(config.staticPorts)];
}

/** The configured enforcement driver; the dry-run driver whenever respond.dryRun is on (the default). */
export function createEnforcer(config: FrozenConfig): Enforcer {
  const respond = config.respond;
  if (respond.dryRun) return new DryRunEnforcer();
  switch (respond.driver) {
    case 'snmp':
      return new SnmpPortEnforcer(config.attribution.switches as readonly SnmpTarget[]);
    case 'webhook':
      return new WebhookEnforcer({ url: respond.webhookUrl, secret: respond.webhookSecret, timeoutMs: respond.webhookTimeoutMs });
    case 'command':
      return new CommandEnforcer({ path: respond.commandPath, args: respond.commandArgs, timeoutMs: respond.commandTimeoutMs });
    case 'dry-run':
      return new DryRunEnforcer();
  }
}
