/** Shared set-up for response tests: a journal with sessions on known ports, a store, a fake clock. */
import { AttributionQuery, type SessionAttribution } from '../../src/attribution/index.ts';
import { Counters } from '../../src/core/index.ts';
import { SqliteAttributionJournal, SqliteResponseStore } from '../../src/drivers/index.ts';
import { DryRunEnforcer, Responder, type Enforcer, type ResponderSettings, type VerdictRef } from '../../src/respond/index.ts';

export const T0 = 1_700_000_000;

export class FakeClock {
  constructor(public seconds = T0) {}
  now = (): number => this.seconds;
  advance(seconds: number): void {
    this.seconds += seconds;
  }
}

export function defaultSettings(overrides: Partial<ResponderSettings> = {}): ResponderSettings {
  return {
    minimumLevel: 'compromised',
    approvalRequired: false,
    ruleTtlSeconds: 600,
    expiryCheckIntervalMs: 1_000,
    protectedPorts: [{ switch: 'access-1', port: 'Gi1/0/48' }],
    protectedPortPatterns: ['(?i)uplink', '^Po'],
    protectMacCountAbove: 4,
    maxActionsPerHour: 5,
    ...overrides,
  };
}

export function sessionRow(sessionId: number, mac: number, port: string, overrides: Partial<SessionAttribution> = {}): SessionAttribution {
  return {
    sessionId,
    captureSeconds: T0,
    proto: 'tcp',
    srcIp: `10.0.0.${sessionId}`,
    srcPort: 40_000,
    dstIp: '10.0.0.200',
    dstPort: 445,
    srcMac: mac,
    dstMac: 0x0200000000c8,
    vlan: 10,
    switchName: 'access-1',
    port,
    ifIndex: 10_100 + sessionId,
    portSeenSeconds: T0 - 30,
    ...overrides,
  };
}

export function verdict(sessionId: number, overrides: Partial<VerdictRef> = {}): VerdictRef {
  return { sessionId, srcIp: `10.0.0.${sessionId}`, srcMac: 0x020000000000 + sessionId, level: 'compromised', reason: 'egress tcp/4444 from winxp-sp1', ...overrides };
}

export interface Harness {
  journal: SqliteAttributionJournal;
  store: SqliteResponseStore;
  counters: Counters;
  clock: FakeClock;
  enforcer: Enforcer;
  responder: Responder;
  close(): void;
}

export function harness(settings: Partial<ResponderSettings> = {}, enforcer: Enforcer = new DryRunEnforcer()): Harness {
  const journal = new SqliteAttributionJournal({ path: ':memory:', retentionDays: 30, maxBytes: 1 << 30 });
  const store = new SqliteResponseStore(':memory:');
  const counters = new Counters();
  const clock = new FakeClock();
  const responder = new Responder({
    settings: defaultSettings(settings),
    store,
    audit: store,
    enforcer,
    attribution: new AttributionQuery(journal),
    counters,
    nowSeconds: clock.now,
  });
  return {
    journal,
    store,
    counters,
    clock,
    enforcer,
    responder,
    close() {
      responder.close();
      store.close();
      journal.close();
    },
  };
}
