/** Concrete drivers: stores (SQLite), switches (SNMP), enforcement. Only src/daemon wires them to stages. */
export { SqliteAttributionJournal, type SqliteAttributionJournalOptions } from './store/sqlite-attribution-journal.ts';
export { SnmpClient, type SnmpTarget, type SnmpValue } from './switch/snmp-client.ts';
export { SnmpForwardingTableReader } from './switch/snmp-forwarding-table-reader.ts';
export { SqliteResponseStore } from './store/sqlite-response-store.ts';
export { SnmpPortEnforcer } from './enforcement/snmp-port-enforcer.ts';
export { WebhookEnforcer, signWebhook, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER, type WebhookEnforcerOptions } from './enforcement/webhook-enforcer.ts';
export { CommandEnforcer, type CommandEnforcerOptions } from './enforcement/command-enforcer.ts';
export { createEnforcer, createForwardingTableReaders, openAttributionJournal, openResponseStore } from './factories.ts';
export { IcedDisassembler } from './disassembler/iced-disassembler.ts';
export { EmulatedDriver, type EmulatedDriverOptions } from './victims/emulated/emulated-driver.ts';
export { EmulatedVictim } from './victims/emulated/emulated-victim.ts';
export { FakeVictimDriver } from './victims/fake/fake-victim-driver.ts';
