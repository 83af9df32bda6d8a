/**
 * The end of the chain for `crashtest analyze --config`: every session of a capture goes into the
 * attribution journal with the switch port its source MAC was on at capture time, and every verdict
 * and compromised host goes to the response stage, behind the safety rails, in a dry run unless the
 * caller asks for enforcement. Offline, so the whole chain can be tested from a pcap.
 */
import { basename } from 'node:path';
import { buildResponseEvent, type ResponseEvent } from '../alert/index.ts';
import { Attributor, StaticPortMap, type MacPortObservation } from '../attribution/index.ts';
import type { FrozenConfig } from '../config/index.ts';
import { Counters, CrashtestError, type Packet, type Session } from '../core/index.ts';
import { levelAtLeast, type VerdictOutcome, type VerdictRef } from '../respond/index.ts';
import type { HostCompromiseFinding } from '../verdict/index.ts';
import type { VerdictRecord } from './analyze-job.ts';
import { openAttributionService } from './attribution-service.ts';
import { openRespondService, type RespondService } from './respond-service.ts';

export interface AnalyzeResponseOptions {
  counters?: Counters;
  /** wall clock in seconds for rules, rate limit and audit log (tests) */
  nowSeconds?: () => number;
  /**
   * Let the configured enforcement driver act. Off by default: analyze then uses the dry-run driver
   * whatever `respond.dryRun` says, because the config is usually the daemon's, and a capture
   * analysed after the fact must not shut a port by accident.
   */
  enforce?: boolean;
  /**
   * A live sensor: the switches' forwarding tables are polled (they say where a MAC is now, which
   * is when the capture is made), journal pruning runs, and rule expiry runs on its timer.
   */
  live?: boolean;
}

/** One decision of the response stage, with what it was about. */
export interface ResponseRecord {
  cause: 'verdict' | 'host_compromise';
  /** the capture file the session came from */
  file: string;
  ref: VerdictRef;
  outcome: VerdictOutcome;
  decidedSeconds: number;
  dryRun: boolean;
  driver: string;
}

/** Hooks for runAnalyzeJob, and the response stage they feed. */
export interface AnalyzeResponse {
  readonly respond: RespondService;
  readonly closed: boolean;
  observePacket(packet: Packet): void;
  /** a new file's sessions: the previous file's verdicts are answered first, then these are journalled */
  beginFile(file: string, sessions: readonly Session[]): Promise<void>;
  noteVerdict(verdict: VerdictRecord): void;
  noteHostCompromise(finding: HostCompromiseFinding): void;
  /** answers what is still pending; every decision of the run, in order */
  finish(): Promise<ResponseRecord[]>;
  /** answers what is still pending; the decisions made since the last call, which are then forgotten (finish() no longer returns them) */
  takeDecisions(): Promise<ResponseRecord[]>;
  close(): void;
}

/**
 * Session ids restart with every file, and the journal answers an id with its newest row: so a
 * file's verdicts are answered before the next file's sessions are journalled, one at a time (the
 * rate limit counts applied rules, so two verdicts in flight at once could both pass it).
 */
export function openAnalyzeResponse(config: FrozenConfig, options: AnalyzeResponseOptions = {}): AnalyzeResponse {
  const counters = options.counters ?? new Counters();
  const nowSeconds = options.nowSeconds ?? (() => Date.now() / 1000);
  // A switch's forwarding table says where a MAC is now, not where it was when the capture was made:
  // offline, ports come from the static map and the port history already journalled, never a poll.
  const attribution = openAttributionService(options.live ? config : { ...config, attribution: { ...config.attribution, switches: [] } }, { counters, nowSeconds });
  const respondConfig: FrozenConfig = options.enforce ? config : { ...config, respond: { ...config.respond, dryRun: true } };
  let respond: RespondService;
  try {
    respond = openRespondService(respondConfig, { counters, nowSeconds, attribution });
  } catch (error) {
    attribution.close();
    throw error;
  }
  const dryRun = !respond.driver.capabilities.touchesNetwork;
  if (options.live) {
    attribution.start();
    respond.start();
  }
  const attributor = new Attributor({ journal: attribution.journal, counters });
  const staticPorts = StaticPortMap.fromEntries(config.attribution.staticPorts);
  const records: ResponseRecord[] = [];
  let verdicts: VerdictRecord[] = [];
  let findings: HostCompromiseFinding[] = [];
  let file = '';
  let sessionsById = new Map<number, Session>();
  let expiryChecked = false;
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new CrashtestError('CT_ERR_INVALID_STATE', 'analyze response used after close()');
  };

  const decide = async (cause: ResponseRecord['cause'], ref: VerdictRef): Promise<void> => {
    const outcome = await respond.handleVerdict(ref);
    // verdicts below respond.minimumLevel are counted by the responder, not reported one by one
    if (outcome.kind === 'ignored' && outcome.reason === 'below_minimum_level') return;
    records.push({ cause, file, ref, outcome, decidedSeconds: nowSeconds(), dryRun, driver: respond.driver.name });
  };

  const answerPending = async (): Promise<void> => {
    if (!expiryChecked) {
      expiryChecked = true;
      // rules of earlier runs whose TTL ran out are restored before new ones count against the rate limit
      await respond.expireDue();
    }
    const pendingVerdicts = strongestPerSession(verdicts);
    const pendingFindings = firstPerHost(findings);
    verdicts = [];
    findings = [];
    for (const verdict of pendingVerdicts) await decide('verdict', verdictRef(verdict, file));
    for (const finding of pendingFindings) {
      const session = ownSessionOf(finding, sessionsById);
      if (session) {
        await decide('host_compromise', hostRef(finding, session));
        continue;
      }
      const detail = `host ${finding.hostIp} (${finding.rule}) sent no session of its own in ${basename(file)}: its switch port is unknown`;
      counters.add('respond.no_attribution');
      respond.store.append({ seconds: nowSeconds(), event: 'no_attribution', ruleId: null, actor: 'analyze', detail });
      const ref: VerdictRef = { sessionId: finding.sessionIds[0] ?? 0, srcIp: finding.hostIp, srcMac: -1, level: 'compromised', reason: hostReason(finding) };
      records.push({ cause: 'host_compromise', file, ref, outcome: { kind: 'ignored', reason: 'no_attribution', detail }, decidedSeconds: nowSeconds(), dryRun, driver: respond.driver.name });
    }
  };

  return {
    respond,
    get closed() {
      return closed;
    },
    observePacket(packet) {
      attributor.observePacket(packet);
    },
    async beginFile(nextFile, sessions) {
      assertOpen();
      await answerPending();
      file = nextFile;
      sessionsById = new Map(sessions.map((session) => [session.id, session]));
      if (sessions.length === 0) return;
      attribution.journal.recordMacPorts(await staticObservations(staticPorts, sessions));
      for (const session of sessions) attributor.observeSession(session);
      attributor.flush();
    },
    noteVerdict(verdict) {
      verdicts.push(verdict);
    },
    noteHostCompromise(finding) {
      findings.push(finding);
    },
    async finish() {
      assertOpen();
      await answerPending();
      attributor.flush();
      return [...records];
    },
    async takeDecisions() {
      assertOpen();
      await answerPending();
      attributor.flush();
      // handed over and forgotten: a daemon that runs for months must not keep every decision
      return records.splice(0, records.length);
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        attributor.flush();
      } finally {
        respond.close();
        attribution.close();
      }
    },
  };
}

/** The EVE-style event for one decision. */
export function responseEvent(record: ResponseRecord): ResponseEvent {
  const { outcome, ref } = record;
  const rule = outcome.kind === 'ignored' ? null : outcome.rule;
  const refusal = rule?.state === 'refused' ? /^([a-z][a-z0-9_]*):/.exec(rule.detail)?.[1] : undefined;
  return buildResponseEvent({
    time: { seconds: Math.floor(record.decidedSeconds), nanoseconds: Math.floor((record.decidedSeconds % 1) * 1e6) * 1000 },
    cause: record.cause,
    flowId: ref.sessionId,
    srcIp: ref.srcIp,
    srcMac: ref.srcMac,
    level: ref.level,
    reason: ref.reason,
    outcome: outcome.kind,
    dryRun: record.dryRun,
    driver: rule?.driver ?? record.driver,
    detail: outcome.kind === 'ignored' ? outcome.detail : outcome.kind === 'duplicate' ? `port already has rule ${outcome.rule.id} (${outcome.rule.state})` : rule!.detail,
    ...(rule ? { rule: { id: rule.id, state: rule.state, action: rule.action, expiresSeconds: rule.expiresSeconds }, target: rule.target } : {}),
    ...(refusal ? { refusal } : {}),
  });
}

/** The static map, stamped over the capture's time span: the config says where these MACs are. */
async function staticObservations(maps: readonly StaticPortMap[], sessions: readonly Session[]): Promise<MacPortObservation[]> {
  if (maps.length === 0) return [];
  let first = Infinity;
  let last = -Infinity;
  for (const session of sessions) {
    first = Math.min(first, session.startSeconds + session.startNanoseconds / 1e9);
    last = Math.max(last, session.endSeconds + session.endNanoseconds / 1e9);
  }
  const rows: MacPortObservation[] = [];
  for (const map of maps) {
    for (const entry of await map.readForwardingTable()) {
      for (const seconds of [first, Math.max(first, last)]) {
        rows.push({ mac: entry.mac, vlan: entry.vlan, switchName: map.switchName, port: entry.port, ifIndex: entry.ifIndex, source: 'static', seconds });
      }
    }
  }
  return rows;
}

/** One verdict per sender session, the strongest (several profiles can judge the same payload). */
function strongestPerSession(verdicts: readonly VerdictRecord[]): VerdictRecord[] {
  const best = new Map<number, VerdictRecord>();
  for (const verdict of verdicts) {
    const current = best.get(verdict.sender.sessionId);
    if (!current || (verdict.level !== current.level && levelAtLeast(verdict.level, current.level))) best.set(verdict.sender.sessionId, verdict);
  }
  return [...best.values()];
}

function firstPerHost(findings: readonly HostCompromiseFinding[]): HostCompromiseFinding[] {
  const first = new Map<string, HostCompromiseFinding>();
  for (const finding of findings) if (!first.has(finding.hostIp)) first.set(finding.hostIp, finding);
  return [...first.values()];
}

function verdictRef(verdict: VerdictRecord, file: string): VerdictRef {
  const sender = verdict.sender;
  return { sessionId: sender.sessionId, srcIp: sender.ip, srcMac: sender.mac, level: verdict.level, reason: verdictReason(verdict, file) };
}

function verdictReason(verdict: VerdictRecord, file: string): string {
  const vulnerability = verdict.vulnerabilities[0] ? ` ${verdict.vulnerabilities[0]}` : '';
  const behaviour = verdict.evidence
    .filter((item) => item.kind !== 'exploit')
    .slice(0, 2)
    .map(describeEvidence)
    .join('; ');
  return `${verdict.level} on ${verdict.profile}${vulnerability}${behaviour ? `: ${behaviour}` : ''} (${basename(file)} flow ${verdict.sender.sessionId})`;
}

function describeEvidence(item: VerdictRecord['evidence'][number]): string {
  const fields = item as Record<string, unknown>;
  if (typeof fields.summary === 'string') return fields.summary;
  if (item.kind === 'lookup' && typeof fields.expression === 'string') return `evaluates ${fields.expression}`;
  if (item.kind === 'exec' && typeof fields.command === 'string') return `runs ${fields.command}`;
  if (item.kind === 'listen') return `listens on ${String(fields.proto)}/${String(fields.port)}`;
  if (item.kind === 'code') return 'attacker code ran';
  return item.kind;
}

/**
 * The session to act on for a compromised host must be one the host itself sent: the journal keys
 * a session's port on its source. One of the finding's sessions if it can, else the host's session
 * nearest the finding.
 */
function ownSessionOf(finding: HostCompromiseFinding, sessionsById: ReadonlyMap<number, Session>): Session | null {
  for (const id of finding.sessionIds) {
    const session = sessionsById.get(id);
    if (session && session.client.ip === finding.hostIp) return session;
  }
  const at = finding.timestamp.seconds + finding.timestamp.nanoseconds / 1e9;
  let nearest: Session | null = null;
  let distance = Infinity;
  for (const session of sessionsById.values()) {
    if (session.client.ip !== finding.hostIp) continue;
    const gap = Math.abs(session.startSeconds + session.startNanoseconds / 1e9 - at);
    if (gap < distance) {
      nearest = session;
      distance = gap;
    }
  }
  return nearest;
}

function hostRef(finding: HostCompromiseFinding, session: Session): VerdictRef {
  return { sessionId: session.id, srcIp: finding.hostIp, srcMac: session.client.mac, level: 'compromised', reason: hostReason(finding) };
}

function hostReason(finding: HostCompromiseFinding): string {
  return `host_compromise ${finding.rule}: ${finding.hostIp} behaves infected${finding.attackerIp ? ` after an attack from ${finding.attackerIp}` : ''}`;
}
