/**
 * A tiny in-memory DashboardSource for the web tests: events pushed by the test, one verdict's
 * detail, a farm snapshot, a series and rules that approve/undo like the responder does (same error
 * codes for unknown rules and wrong states).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildResponseEvent, buildVerdictEvent, type CrashtestEvent, type VerdictEvent } from '../../src/alert/index.ts';
import { CrashtestError } from '../../src/core/index.ts';
import { ACTIVE_ACTION_STATES, type DashboardSource, type Rule, type SeriesPoint, type VerdictDetail } from '../../src/daemon/index.ts';
import type { PoolSnapshot } from '../../src/sandbox/index.ts';

export const READ_TOKEN = 'read-token-0123456789abcdef';
export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
export const TEST_TOKENS = [
  { name: 'web:read', role: 'read' as const, token: READ_TOKEN },
  { name: 'web:admin', role: 'admin' as const, token: ADMIN_TOKEN },
];

const BASE_SECONDS = 1_714_557_600; // 2024-05-01T10:00:00Z

export function verdictFixture(flowId: number, profile = 'winxp-sp1', overrides: Partial<{ level: VerdictEvent['level']; srcIp: string; seconds: number }> = {}): VerdictEvent {
  return buildVerdictEvent({
    time: { seconds: overrides.seconds ?? BASE_SECONDS + flowId, nanoseconds: 0 },
    session: {
      id: flowId,
      proto: 'tcp',
      client: { ip: overrides.srcIp ?? '192.0.2.66', port: 40_000 + flowId, mac: 0x02_00_5e_10_00_42, ttl: 64 },
      server: { ip: '198.51.100.10', port: 445, mac: 0x02_00_5e_10_00_01, ttl: 128 },
    },
    level: overrides.level ?? 'compromised',
    profile,
    method: 'replayed',
    vulnerability: 'MS08-067',
    evidence: [
      { kind: 'exploit', vulnerability: 'MS08-067', service: 'smb', detail: 'NetprPathCanonicalize overflow', vulnerable: true, summary: 'MS08-067 path overflow reached' },
      { kind: 'connect', proto: 'tcp', dest_ip: '192.0.2.66', dest_port: 4444, summary: 'connect 192.0.2.66:4444' },
    ],
  });
}

export function ruleFixture(id: number, flowId: number): Rule {
  return {
    id,
    state: 'requested',
    action: 'port_down',
    target: { switchName: 'access-sw1', port: 'Gi1/0/7', ifIndex: 10107, mac: '02:00:5e:10:00:42', ip: '192.0.2.66', captureSeconds: BASE_SECONDS, basis: 'session' },
    reason: { sessionId: flowId, level: 'compromised', text: `flow ${flowId} compromised winxp-sp1 (MS08-067)` },
    owner: 'verdict',
    driver: 'dry-run',
    ttlSeconds: 3600,
    createdSeconds: BASE_SECONDS + 5,
    approvedBy: null,
    appliedSeconds: null,
    expiresSeconds: null,
    endedSeconds: null,
    detail: 'awaiting approval',
  };
}

export class FakeDashboardSource implements DashboardSource {
  readonly events: CrashtestEvent[] = [];
  readonly details = new Map<string, VerdictDetail>();
  readonly rules = new Map<number, Rule>();
  readonly evidenceDir: string;
  metricsText = '# HELP crashtest_flow_sessions Sessions seen.\n# TYPE crashtest_flow_sessions counter\ncrashtest_flow_sessions 42\n';
  farmSnapshot: PoolSnapshot = {
    maxVictims: 16,
    total: 6,
    waiters: 0,
    leasesActive: 2,
    profiles: [
      { profileId: 'winxp-sp1', creating: 0, warm: 2, leased: 1, dwelling: 1, reverting: 0, closing: 0 },
      { profileId: 'linux-apache-cgi', creating: 1, warm: 1, leased: 0, dwelling: 0, reverting: 0, closing: 0 },
    ],
  };
  seriesPoints: SeriesPoint[] = Array.from({ length: 30 }, (_, index) => ({
    time: BASE_SECONDS + index * 5,
    bytesPerSecond: 100_000 + 50_000 * Math.sin(index / 3),
    queueDepth: index % 7,
    drops: index === 20 ? 3 : 0,
  }));
  private readonly listeners = new Set<(event: CrashtestEvent) => void>();

  constructor() {
    this.evidenceDir = mkdtempSync(join(tmpdir(), 'crashtest-web-'));
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Adds a verdict with its detail (transcript, trace, evidence files on disk) and a pending rule; emits the event. */
  pushVerdict(flowId: number, profile = 'winxp-sp1', options: { ruleId?: number; sessionNote?: string } = {}): VerdictEvent {
    const event = verdictFixture(flowId, profile);
    const folder = join(this.evidenceDir, `flow-${flowId}-${profile}`);
    mkdirSync(folder, { recursive: true });
    const sessionPcap = join(folder, 'session.pcap');
    writeFileSync(sessionPcap, Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'));
    const trace = join(folder, 'trace.txt');
    writeFileSync(trace, 'LoadLibraryA("ws2_32")\nconnect(192.0.2.66:4444)\n');
    const request = Buffer.concat([Buffer.from('\x00\x00\x00\x85\xffSMBr', 'latin1'), Buffer.from('NT LM 0.12\r\n\x90\x90\x90\x90\xeb\x10', 'latin1')]);
    const reply = Buffer.from('\x00\x00\x00\x55\xffSMBr OK', 'latin1');
    this.details.set(`${flowId}/${profile}`, {
      flowId,
      profile,
      event,
      transcript: [
        { direction: 'to_server', bytes: request.toString('base64'), time: BASE_SECONDS + flowId, length: request.length },
        { direction: 'to_client', bytes: reply.toString('base64'), time: BASE_SECONDS + flowId + 0.01, length: reply.length },
      ],
      trace: ['LoadLibraryA("ws2_32") = 0x71ab0000', 'WSASocketA(2, 1, 6) = 0x100', 'connect(0x100, 192.0.2.66:4444) = 0'],
      disassembly: ['00401000  31c0          xor eax,eax', '00401002  50            push eax', '00401003  ffd3          call ebx'],
      evidenceFiles: [
        { name: 'session.pcap', path: sessionPcap, size: 24 },
        { name: 'trace.txt', path: trace, size: 45 },
      ],
      sessionNote: options.sessionNote ?? null,
      attribution: { host: event.src_ip, mac: '02:00:5e:10:00:42', switchName: 'access-sw1', port: 'Gi1/0/7', basis: 'session' },
      response: null,
    });
    this.emit(event);
    if (options.ruleId !== undefined) {
      // as the response stage does: the rule, then its response event
      const rule = ruleFixture(options.ruleId, flowId);
      this.rules.set(rule.id, rule);
      this.emit(responseFor(rule));
    }
    return event;
  }

  emit(event: CrashtestEvent): void {
    this.events.push(event);
    for (const listener of [...this.listeners]) listener(event);
  }

  recentEvents(limit: number): CrashtestEvent[] {
    return this.events.slice(-limit);
  }

  subscribe(listener: (event: CrashtestEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  verdictDetail(flowId: number, profile: string): VerdictDetail | null {
    return this.details.get(`${flowId}/${profile}`) ?? null;
  }

  farm(): PoolSnapshot {
    return this.farmSnapshot;
  }

  series(): SeriesPoint[] {
    return this.seriesPoints;
  }

  activeActions(): Rule[] {
    return [...this.rules.values()].filter((rule) => ACTIVE_ACTION_STATES.includes(rule.state));
  }

  async approve(ruleId: number, by: string): Promise<Rule> {
    const rule = this.mustGet(ruleId);
    if (rule.state !== 'requested') throw new CrashtestError('CT_ERR_INVALID_STATE', `rule ${ruleId} is ${rule.state}; only a requested rule can be approved`, { ruleId });
    const applied: Rule = { ...rule, state: 'applied', approvedBy: by, appliedSeconds: BASE_SECONDS + 60, expiresSeconds: BASE_SECONDS + 3660, detail: `approved by ${by}` };
    this.rules.set(ruleId, applied);
    this.emit(responseFor(applied));
    return applied;
  }

  async undo(ruleId: number, by: string): Promise<Rule> {
    const rule = this.mustGet(ruleId);
    if (rule.state !== 'requested' && rule.state !== 'applied') {
      throw new CrashtestError('CT_ERR_INVALID_STATE', `rule ${ruleId} is ${rule.state}; only a requested or applied rule can be undone`, { ruleId });
    }
    const undone: Rule = { ...rule, state: 'rolled_back', endedSeconds: BASE_SECONDS + 120, detail: `undone by ${by}` };
    this.rules.set(ruleId, undone);
    this.emit(responseFor(undone));
    return undone;
  }

  async metrics(): Promise<string> {
    return this.metricsText;
  }

  private mustGet(ruleId: number): Rule {
    const rule = this.rules.get(ruleId);
    if (rule === undefined) throw new CrashtestError('CT_ERR_RULE_NOT_FOUND', `no response rule has id ${ruleId}`, { ruleId });
    return rule;
  }
}

function responseFor(rule: Rule): CrashtestEvent {
  return buildResponseEvent({
    time: { seconds: BASE_SECONDS + 60, nanoseconds: 0 },
    cause: 'verdict',
    flowId: rule.reason.sessionId,
    srcIp: rule.target.ip,
    srcMac: 0x02_00_5e_10_00_42,
    level: rule.reason.level,
    reason: rule.reason.text,
    outcome: 'rule',
    dryRun: true,
    driver: rule.driver,
    detail: rule.detail,
    rule: { id: rule.id, state: rule.state, action: 'port_down', expiresSeconds: rule.expiresSeconds },
  });
}
