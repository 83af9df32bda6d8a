/**
 * `crashtest analyze` as a service: the emulated farm, the analyze job, and its results as EVE
 * events (and evidence folders when asked). The CLI prints; this decides what is said.
 */
import { buildHostCompromiseEvent, buildReplayBundle, buildStatsEvent, buildVerdictEvent, crashtestVersion, EvidenceWriter, type CrashtestEvent, type EvidenceItem as AlertEvidenceItem, type EgressExchange, type EvidenceKind, type VerdictEvent } from '../alert/index.ts';
import { readCaptureFile } from '../capture/index.ts';
import { Counters, type Frame, type Timestamp } from '../core/index.ts';
import { defaultCatalogue, type Observation, type ProfileCatalogue } from '../sandbox/index.ts';
import type { HostCompromiseFinding } from '../verdict/index.ts';
import { runAnalyzeJob, type AnalyzeJobResult, type VerdictRecord } from './analyze-job.ts';
import { createEmulatedFarm, type EmulatedFarm } from './emulated-farm.ts';
import { loadSignatureFile, saveSignatureFile } from './signatures-service.ts';
import { openAnalyzeResponse, responseEvent, type ResponseRecord } from './analyze-response.ts';
import { SessionFrameCutter, type WantedSession } from './session-frame-cutter.ts';
import type { FrozenConfig } from '../config/index.ts';

export interface AnalyzeServiceOptions {
  onEvent: (event: CrashtestEvent) => void;
  /** write evidence folders (session pcap, egress pcap, trace, bundle) under this directory */
  evidenceDir?: string;
  dwellMs?: number;
  /** learned signatures: read before the run (when the file exists), written back after it */
  signaturesFile?: string;
  onProgress?: (progress: { file: string; jobsDone: number; jobsTotal: number }) => void;
  signal?: AbortSignal;
  /** with a config, sessions go into its attribution journal and verdicts to its response stage (`response` events; analyze-response.ts) */
  config?: FrozenConfig;
  /** let the configured enforcement driver act; without it the response stage runs dry whatever respond.dryRun says */
  enforce?: boolean;
  /** a farm the caller owns (and closes); by default one is made for the run */
  farm?: Pick<EmulatedFarm, 'lease' | 'close'>;
  /** the profiles jobs are detonated on (a netns farm's own profiles); default the built-in catalogue */
  catalogue?: ProfileCatalogue;
  /** the records behind the events, for a dashboard's detail pages */
  observer?: {
    verdict(record: VerdictRecord, event: CrashtestEvent, evidenceDir: string | undefined): void;
    response(record: ResponseRecord, event: CrashtestEvent): void;
  };
  counters?: Counters;
}

export interface AnalyzeSummary {
  result: AnalyzeJobResult;
  events: number;
}

/** Every sender of the payload once, with all the flows it sent it in. */
function sendersByHost(senders: VerdictRecord['job']['senders']): { ip: string; mac: number; flowIds: number[] }[] {
  const byHost = new Map<string, { ip: string; mac: number; flowIds: number[] }>();
  for (const sender of senders) {
    const host = byHost.get(sender.ip);
    if (host) host.flowIds.push(sender.sessionId);
    else byHost.set(sender.ip, { ip: sender.ip, mac: sender.mac, flowIds: [sender.sessionId] });
  }
  return [...byHost.values()];
}

/** the dummy's address in egress pcaps when containment did not see its socket's own address */
const EVIDENCE_DUMMY_ADDRESS = '10.13.37.100';
/** conversations written to one egress pcap (a worm's sends repeat) */
const MAX_EGRESS_EXCHANGES = 256;
const DEFAULT_BUNDLE_DWELL_MS = 600_000; // 10 min virtual, as the analysis used

function timestampOf(seconds: number): Timestamp {
  return { seconds: Math.floor(seconds), nanoseconds: Math.round((seconds % 1) * 1e9) };
}

export async function analyzeCaptures(files: readonly string[], options: AnalyzeServiceOptions): Promise<AnalyzeSummary> {
  const counters = options.counters ?? new Counters();
  const farm = options.farm ?? createEmulatedFarm({ counters });
  const catalogue = options.catalogue ?? defaultCatalogue();
  const writer = options.evidenceDir === undefined ? null : new EvidenceWriter(options.evidenceDir);
  const pending: VerdictRecord[] = [];
  const findings: HostCompromiseFinding[] = [];
  let events = 0;
  const response = options.config ? openAnalyzeResponse(options.config, { counters, enforce: options.enforce === true }) : null;
  try {
    const result = await runAnalyzeJob(files, {
      catalogue,
      lease: farm.lease,
      counters,
      ...(options.dwellMs !== undefined ? { dwellMs: options.dwellMs } : {}),
      ...(options.signaturesFile !== undefined ? { signatures: loadSignatureFile(options.signaturesFile) } : {}),
      onVerdict: (verdict) => pending.push(verdict),
      onHostCompromise: (finding) => findings.push(finding),
      ...(response
        ? {
            onPacket: (packet) => response.observePacket(packet),
            onSessions: (file, sessions) => response.beginFile(file, sessions),
            onVerdict: (verdict) => {
              pending.push(verdict);
              response.noteVerdict(verdict);
            },
            onHostCompromise: (finding) => {
              findings.push(finding);
              response.noteHostCompromise(finding);
            },
          }
        : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const framesByVerdict = writer ? await causalFrames(pending, counters) : new Map<string, Frame[]>();
    for (const verdict of pending) {
      let evidenceDir: string | undefined;
      if (writer) evidenceDir = (await writeEvidence(writer, verdict, framesByVerdict.get(frameKey(verdict.file, verdict.sender.sessionId)) ?? [])).dir;
      const event = verdictEvent(verdict, evidenceDir);
      options.observer?.verdict(verdict, event, evidenceDir);
      options.onEvent(event);
      events++;
    }
    for (const finding of findings) {
      options.onEvent(
        buildHostCompromiseEvent({
          time: finding.timestamp,
          hostIp: finding.hostIp,
          evidence: finding.evidence as unknown as AlertEvidenceItem[],
          rule: finding.rule,
          ...(finding.attackerIp ? { attackerIp: finding.attackerIp } : {}),
          flowIds: finding.sessionIds,
        }),
      );
      events++;
    }
    if (response) {
      for (const record of await response.finish()) {
        const event = responseEvent(record);
        options.observer?.response(record, event);
        options.onEvent(event);
        events++;
      }
      result.counters = counters.snapshot();
    }
    if (options.signaturesFile !== undefined) saveSignatureFile(options.signaturesFile, result.signatures);
    options.onEvent(buildStatsEvent({ time: timestampOf(Date.now() / 1000), counters: result.counters }));
    events++;
    return { result, events };
  } finally {
    response?.close();
    if (!options.farm) await farm.close();
  }
}

export function verdictEvent(verdict: VerdictRecord, evidenceDir?: string): CrashtestEvent {
  const job = verdict.job;
  const sender = verdict.sender;
  const session = {
    id: sender.sessionId,
    proto: job.session.proto,
    client: { ...job.session.client, ip: sender.ip, port: sender.port, mac: sender.mac },
    server: { ...job.session.server, ip: sender.targetIp, port: sender.targetPort },
  };
  return buildVerdictEvent({
    time: timestampOf(sender.seconds),
    session,
    level: verdict.level,
    profile: verdict.profile,
    evidence: verdict.evidence as unknown as AlertEvidenceItem[],
    method: verdict.replay,
    ...(verdict.signatureId !== undefined ? { signature: { id: String(verdict.signatureId), replaySkipped: verdict.replay === 'signature' } } : {}),
    ...(verdict.vulnerabilities[0] ? { vulnerability: verdict.vulnerabilities[0] } : {}),
    senders: sendersByHost(job.senders),
    profilesTried: verdict.profilesTried.length > 0 ? verdict.profilesTried : [verdict.profile],
    ...(evidenceDir ? { evidenceDir } : {}),
  });
}

function frameKey(file: string, sessionId: number): string {
  return `${file}\u0000${sessionId}`;
}

/** The original frames of each verdict's causal session, read again from its capture. */
async function causalFrames(verdicts: VerdictRecord[], counters: Counters): Promise<Map<string, Frame[]>> {
  const wantedByFile = new Map<string, WantedSession[]>();
  for (const verdict of verdicts) {
    let wanted = wantedByFile.get(verdict.file);
    if (!wanted) wantedByFile.set(verdict.file, (wanted = []));
    wanted.push(wantedSessionOf(verdict, frameKey(verdict.file, verdict.sender.sessionId)));
  }
  const frames = new Map<string, Frame[]>();
  for (const [file, wanted] of wantedByFile) {
    const cutter = new SessionFrameCutter(wanted, { counters });
    await readCaptureFile(file, (frame) => cutter.offer(frame));
    for (const session of wanted) frames.set(session.key, cutter.framesOf(session.key));
  }
  return frames;
}

/** The verdict's session (its sender's flow) as the cutter looks for it; no time span: a file is read whole. */
export function wantedSessionOf(verdict: VerdictRecord, key: string, span: { fromSeconds?: number; toSeconds?: number } = {}): WantedSession {
  const sender = verdict.sender;
  return { key, proto: verdict.job.session.proto, client: { ip: sender.ip, port: sender.port }, server: { ip: sender.targetIp, port: sender.targetPort }, ...span };
}

/** The dummy's conversations with containment, as the evidence pcap shows them. */
function egressExchanges(observations: readonly Observation[]): EgressExchange[] {
  const exchanges: EgressExchange[] = [];
  let ephemeral = 49_152;
  for (const seen of observations) {
    if (seen.source !== 'containment') continue;
    const event = seen.event;
    const from = { ip: event.source?.address ?? EVIDENCE_DUMMY_ADDRESS, port: event.source?.port || ephemeral++ };
    const to = { ip: event.destination.address, port: event.destination.port };
    const facts = event.facts;
    if (facts.kind === 'tcp_closed' && facts.exchange) {
      exchanges.push({ proto: 'tcp', from, to, sent: Buffer.from(facts.exchange.sent), received: Buffer.from(facts.exchange.received), time: event.time });
    } else if (facts.kind === 'udp_datagram' && facts.payload) {
      exchanges.push({ proto: 'udp', from, to, sent: Buffer.from(facts.payload), received: Buffer.alloc(0), time: event.time });
    } else if (facts.kind === 'icmp_echo') {
      exchanges.push({ proto: 'icmp', from: { ip: from.ip, port: 0 }, to: { ip: to.ip, port: 0 }, sent: Buffer.alloc(0), received: Buffer.alloc(0), time: event.time });
    }
    if (exchanges.length >= MAX_EGRESS_EXCHANGES) break;
  }
  return exchanges;
}

/** `sessionNote`: why session.pcap lacks frames (the live spool had rotated them away), written beside it. */
export async function writeEvidence(writer: EvidenceWriter, verdict: VerdictRecord, frames: Frame[], sessionNote?: string): Promise<{ dir: string }> {
  const outcome = verdict.outcome;
  const code = outcome?.observations.find((observation) => observation.source === 'dummy' && observation.observation.kind === 'code');
  const trace = code && code.source === 'dummy' && code.observation.kind === 'code' ? code.observation.trace : null;
  const traces = (outcome?.observations ?? []).flatMap((seen) => (seen.source === 'dummy' && seen.observation.kind === 'code' ? [seen.observation.trace] : []));
  const carriesPeers = (verdict.capturedPeers?.length ?? 0) > 0;
  const written = await writer.write({
    verdict: verdictEvent(verdict) as VerdictEvent,
    sessionFrames: frames,
    ...(sessionNote !== undefined ? { sessionNote } : {}),
    egress: egressExchanges(outcome?.observations ?? []),
    ...(traces.length > 0 ? { traces } : trace ? { traces: [trace] } : {}),
    bundle: buildReplayBundle({
      crashtestVersion: crashtestVersion(),
      session: verdict.causalSession,
      ...(verdict.companionSessions ? { companions: verdict.companionSessions } : {}),
      ...(verdict.capturedPeers ? { peers: verdict.capturedPeers } : {}),
      profile: verdict.profile,
      ...(verdict.vulnerabilities[0] ? { vulnerability: verdict.vulnerabilities[0] } : {}),
      dwellMs: DEFAULT_BUNDLE_DWELL_MS,
      level: verdict.level,
      // what followed a captured peer's answer is re-run by verify only when the bundle carries the peers
      evidenceKinds: verdict.evidence.filter((item) => item.after_replay !== true || carriesPeers).map((item) => item.kind as EvidenceKind),
    }),
  });
  return { dir: written.dir };
}
