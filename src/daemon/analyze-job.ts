/**
 * The product's main job on one machine: captures in, verdicts out. Each file is read into
 * sessions; triage picks the candidates, dedupes identical payloads and ranks them; each job is
 * detonated on dummies of its profiles (cheap jobs batched per lease, the culprit found by group
 * testing); the verdicts go out as EVE-style events together with the real hosts that behaved
 * infected after an attack.
 */
import { createHash } from 'node:crypto';
import type { Profile } from '../config/index.ts';
import type { PeerLookup } from '../containment/index.ts';
import { Counters, type Packet, type Session } from '../core/index.ts';
import { profileShellcode } from '../emulator/index.ts';
import { clientBytes, CompanionIndex, dialogFromSession, findCulprits } from '../replay/index.ts';
import type { ProfileCatalogue, Victim } from '../sandbox/index.ts';
import { ProtectedNetworks, Triage, type LearnedSignature, type ReplayJob } from '../triage/index.ts';
import { HostCompromiseDetector, levelRank, type EvidenceItem, type HostCompromiseFinding, type VerdictLevel } from '../verdict/index.ts';
import { capturedPeerDestinations, peerLookupOf, type CapturedPeerDestination } from './captured-peers.ts';
import { detonate, detonateOnVictim, type DetonationItem, type Lease, type ProfileOutcome } from './detonator.ts';
import { runSessionsJob } from './sessions-job.ts';

export interface VerdictRecord {
  /** the capture file the causal session came from */
  file: string;
  job: ReplayJob;
  /** the sender this record is for (every sender of a payload gets the verdict) */
  sender: ReplayJob['senders'][number];
  level: VerdictLevel;
  profile: string;
  profilesTried: string[];
  evidence: EvidenceItem[];
  vulnerabilities: string[];
  replay: 'replayed' | 'signature' | 'group-test' | 'analysis';
  signatureId?: number;
  outcome: ProfileOutcome | null;
  causalSession: Session;
  /** the sender's connections played after the causal session on the same dummy (a multi-connection exploit) */
  companionSessions?: Session[];
  /** the captured sessions the job's dummies were given to answer their outbound connections (captured-peers.ts), by destination */
  capturedPeers?: CapturedPeerDestination[];
}

export interface AnalyzeJobOptions {
  catalogue: ProfileCatalogue;
  lease: Lease;
  counters?: Counters;
  /** protected networks; default for offline analysis: every host that receives traffic */
  protectedNetworks?: ProtectedNetworks;
  /** virtual ms each lease watches the dummy (default 10 min) */
  dwellMs?: number;
  /** signatures learned in earlier runs: copies of their payloads are answered without a replay */
  signatures?: readonly LearnedSignature[];
  /** jobs without attack signs share one lease per profile, up to this many (default 8) */
  batchSize?: number;
  /** jobs with attack signs (code, oversize fields, injection markers) get a lease of their own (default true) */
  isolateSuspicious?: boolean;
  /** every decoded packet of every file, as it is read (valid only during the call) */
  onPacket?: (packet: Packet) => void;
  /** a file's sessions, after it is read and before they are analysed; awaited */
  onSessions?: (file: string, sessions: readonly Session[]) => void | Promise<void>;
  onVerdict?: (verdict: VerdictRecord) => void;
  onHostCompromise?: (finding: HostCompromiseFinding) => void;
  onProgress?: (progress: { file: string; jobsDone: number; jobsTotal: number }) => void;
  signal?: AbortSignal;
}

export interface AnalyzeJobResult {
  verdicts: VerdictRecord[];
  hostCompromises: HostCompromiseFinding[];
  counters: Record<string, number>;
  sessions: number;
  failedFiles: number;
  /** payloads proven to compromise, as learned signatures (exportable as Suricata rules) */
  signatures: LearnedSignature[];
}

const DEFAULT_DWELL_MS = 600_000; // 10 min of the dummy's virtual time
/** later sessions of a sender to the same host that may reach what its attack opened (a bind shell) */
const FOLLOW_UP_WINDOW_SECONDS = 600;
const MAX_FOLLOW_UPS = 8;

export async function runAnalyzeJob(files: readonly string[], options: AnalyzeJobOptions): Promise<AnalyzeJobResult> {
  const analyzer = new SessionAnalyzer(options);
  for (const file of files) {
    options.signal?.throwIfAborted();
    const sessions: Session[] = [];
    const read = await runSessionsJob([file], {
      onSession: (session) => sessions.push(session),
      ...(options.onPacket ? { onPacket: options.onPacket } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    analyzer.noteRead(read.failed, read.counters);
    await analyzer.analyze(file, sessions);
  }
  return analyzer.result();
}

/**
 * The analysis of runAnalyzeJob for callers that bring their own sessions: a file's sessions at
 * once, or a live sensor's in batches as they end. One triage for the whole life of the analyzer,
 * so signatures learned on one batch answer copies in the next. With `watchAcrossBatches` the
 * host-compromise detector keeps watching attacked hosts across batches (live); otherwise each batch
 * is judged on its own, as each file is.
 */
export class SessionAnalyzer {
  readonly counters: Counters;
  private readonly triage: Triage;
  private readonly state: AnalyzeJobResult = { verdicts: [], hostCompromises: [], counters: {}, sessions: 0, failedFiles: 0, signatures: [] };
  private readonly detector: HostCompromiseDetector | null;
  /** false for a long-running caller: verdicts go to the callbacks only, not into result() */
  private readonly keepResults: boolean;

  constructor(
    private readonly options: AnalyzeJobOptions,
    settings: { watchAcrossBatches?: boolean; keepResults?: boolean } = {},
  ) {
    this.counters = options.counters ?? new Counters();
    this.triage = new Triage({
      catalogue: options.catalogue,
      counters: this.counters,
      protectedNetworks: options.protectedNetworks ?? ProtectedNetworks.everyReceiver(),
    });
    this.triage.restoreSignatures(options.signatures ?? []);
    this.detector = settings.watchAcrossBatches ? new HostCompromiseDetector({ counters: this.counters }) : null;
    this.keepResults = settings.keepResults ?? true;
  }

  /** counts a read done by the caller (failed files, its pipeline counters) */
  noteRead(failedFiles: number, counters: Record<string, number>): void {
    this.state.failedFiles += failedFiles;
    for (const [name, value] of Object.entries(counters)) this.counters.add(name, value);
  }

  /** Analyses one batch of ended sessions; `source` names where they came from (file or interface). */
  async analyze(source: string, batch: readonly Session[]): Promise<void> {
    const sessions = [...batch].sort((a, b) => a.startSeconds - b.startSeconds || a.startNanoseconds - b.startNanoseconds || a.id - b.id);
    this.state.sessions += sessions.length;
    await this.options.onSessions?.(source, sessions);
    const sink: AnalyzeJobResult = this.keepResults ? this.state : { ...this.state, verdicts: [], hostCompromises: [] };
    await analyzeSessions(source, sessions, this.triage, this.options, this.counters, sink, this.detector);
  }

  result(): AnalyzeJobResult {
    this.state.counters = this.counters.snapshot();
    this.state.signatures = this.triage.learnedSignatures();
    return this.state;
  }
}

async function analyzeSessions(
  file: string,
  sessions: Session[],
  triage: Triage,
  options: AnalyzeJobOptions,
  counters: Counters,
  result: AnalyzeJobResult,
  watcher: HostCompromiseDetector | null,
): Promise<void> {
  const proven: ReplayJob[] = [];
  for (const session of sessions) {
    const decision = triage.offer(session);
    if (decision.action === 'matched') proven.push(decision.job);
  }
  const jobs: ReplayJob[] = [];
  for (let job = triage.next(); job; job = triage.next()) jobs.push(job);
  counters.add('analyze.jobs', jobs.length);

  const byId = new Map(sessions.map((session) => [session.id, session]));
  const byPair = new Map<string, Session[]>();
  for (const session of sessions) {
    const key = `${session.client.ip}|${session.server.ip}`;
    const list = byPair.get(key);
    if (list) list.push(session);
    else byPair.set(key, [session]);
  }
  const companions = new CompanionIndex(sessions);
  for (const job of jobs) if (job.direction !== 'to_client') companionsOf.set(job, companions.of(job.session));
  // the target's own later connections answer the dummy's (a stager's callback meets its stage)
  const destinationsOf = capturedPeerDestinations(sessions);
  for (const job of jobs) capturedPeersOf.set(job, destinationsOf(job));
  const peersOf = (job: ReplayJob): PeerLookup | undefined => peerLookupOf(capturedPeersOf.get(job) ?? []);
  const followUpsOf = (job: ReplayJob): Session[] => {
    const start = startOf(job.session);
    return (byPair.get(`${job.session.client.ip}|${job.session.server.ip}`) ?? [])
      .filter((session) => session.server.port !== job.session.server.port && startOf(session) >= start && startOf(session) - start <= FOLLOW_UP_WINDOW_SECONDS)
      .slice(0, MAX_FOLLOW_UPS);
  };
  const verdicts: VerdictRecord[] = [];
  const attacks: Array<{ job: ReplayJob; predicted: Array<{ address: string; port: number; proto: 'tcp' | 'udp' }> }> = [];
  for (const job of proven) verdicts.push(...signatureVerdicts(job, triage));
  const { urgent, batched } = splitByUrgency(jobs, options.isolateSuspicious ?? true);
  let done = 0;
  const progress = (): void => options.onProgress?.({ file, jobsDone: done, jobsTotal: jobs.length });

  for (const job of urgent) {
    options.signal?.throwIfAborted();
    const found = await detonateJob(job, options, counters, 'replayed', followUpsOf(job), peersOf(job));
    verdicts.push(...found.verdicts);
    if (found.attack) attacks.push({ job, predicted: found.predicted });
    done++;
    progress();
  }
  for (const batch of batchesOf(batched, options.batchSize ?? 8)) {
    const found = await detonateBatch(batch, options, counters, followUpsOf, peersOf);
    for (const item of found) {
      verdicts.push(...item.verdicts);
      if (item.attack) attacks.push({ job: item.job, predicted: item.predicted });
    }
    done += batch.length;
    progress();
  }

  for (const verdict of verdicts) {
    verdict.file = file;
    result.verdicts.push(verdict);
    options.onVerdict?.(verdict);
    // a client-side job's bytes are a web server's pages: no signature is learned from its request
    if (verdict.level === 'compromised' && verdict.replay !== 'signature' && verdict.replay !== 'analysis' && verdict.job.direction !== 'to_client') {
      triage.learn(verdict.job, {
        level: 'compromised',
        ...(verdict.vulnerabilities[0] ? { vulnerability: verdict.vulnerabilities[0] } : {}),
        behaviour: verdict.evidence.find((item) => item.kind !== 'exploit' && typeof item.summary === 'string')?.summary as string | undefined ?? 'compromised a dummy',
        profileIds: [verdict.profile],
      });
    }
  }

  const detector = watcher ?? new HostCompromiseDetector({ counters });
  const notes = attacks
    .flatMap(({ job, predicted }) => job.senders.map((sender) => ({ sender, predicted, session: byId.get(sender.sessionId) ?? job.session })))
    .sort((a, b) => startOf(a.session) - startOf(b.session));
  const found: HostCompromiseFinding[] = [];
  let nextNote = 0;
  for (const session of sessions) {
    while (nextNote < notes.length && startOf(notes[nextNote]!.session) <= startOf(session)) {
      const note = notes[nextNote++]!;
      found.push(
        ...detector.noteAttack({
          sessionId: note.session.id,
          attacker: note.sender.ip,
          victim: note.sender.targetIp,
          time: { seconds: note.session.startSeconds, nanoseconds: note.session.startNanoseconds },
          predicted: note.predicted,
        }),
      );
    }
    found.push(...detector.observe(session));
  }
  for (const finding of found) {
    result.hostCompromises.push(finding);
    options.onHostCompromise?.(finding);
  }
}

function startOf(session: Session): number {
  return session.startSeconds + session.startNanoseconds / 1e9;
}

/** A copy of a payload a learned signature already proved: the verdict without a replay. */
function signatureVerdicts(job: ReplayJob, triage: Triage): VerdictRecord[] {
  const signature = triage.learnedSignatures().find((learned) => learned.id === job.signature?.signatureId);
  if (!signature) return [];
  const evidence: EvidenceItem[] = [{ kind: 'signature', id: signature.id, message: signature.message, matched_by: job.signature!.matchedBy }];
  return firstSessionPerHost(job.senders).map((sender) => ({
    file: '',
    job,
    sender,
    level: signature.facts.level,
    profile: signature.facts.profileIds?.[0] ?? job.profileIds[0] ?? 'none',
    profilesTried: [],
    evidence,
    vulnerabilities: signature.facts.vulnerability ? [signature.facts.vulnerability] : [],
    replay: 'signature' as const,
    signatureId: signature.id,
    outcome: null,
    causalSession: job.session,
  }));
}

function firstSessionPerHost(senders: ReplayJob['senders']): ReplayJob['senders'] {
  const seen = new Set<string>();
  return senders.filter((sender) => !seen.has(sender.ip) && seen.add(sender.ip) !== undefined);
}

/** Jobs with signs of attack get a lease of their own; the rest share leases. */
function splitByUrgency(jobs: ReplayJob[], isolateSuspicious: boolean): { urgent: ReplayJob[]; batched: ReplayJob[] } {
  const urgent: ReplayJob[] = [];
  const batched: ReplayJob[] = [];
  for (const job of jobs) {
    const reasons = job.reasons;
    const signs = reasons.shellcodeScore > 0 || reasons.oversizeFields.length > 0 || reasons.injectionMarkers.length > 0;
    (isolateSuspicious && signs ? urgent : batched).push(job);
  }
  return { urgent, batched };
}

function batchesOf<T>(items: T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let index = 0; index < items.length; index += Math.max(1, size)) batches.push(items.slice(index, index + Math.max(1, size)));
  return batches;
}

interface JobFindings {
  job: ReplayJob;
  verdicts: VerdictRecord[];
  /** the job looked like an attack: the host-compromise detector should watch its target */
  attack: boolean;
  /** where the dummies went when it was detonated */
  predicted: Array<{ address: string; port: number; proto: 'tcp' | 'udp' }>;
}

/** the sender's connections opened while a job's session was open (EternalBlue's grooms), set per file */
const companionsOf = new WeakMap<ReplayJob, Session[]>();
/** each job's captured peers, recorded in its verdicts so a replay bundle can carry them */
const capturedPeersOf = new WeakMap<ReplayJob, CapturedPeerDestination[]>();

/**
 * what the detonator plays for a job: the client side into servers, then its companions on the same
 * dummy, or the server side into a client-side dummy
 */
function itemsOf(job: ReplayJob): DetonationItem[] {
  const item: DetonationItem = { session: job.session, serviceKind: job.service.kind, ...(job.direction ? { direction: job.direction } : {}) };
  return [item, ...(companionsOf.get(job) ?? []).map((session) => ({ session, serviceKind: job.service.kind }))];
}

function profilesOf(job: ReplayJob, options: AnalyzeJobOptions): Profile[] {
  return job.profileIds.flatMap((id) => {
    try {
      return [options.catalogue.get(id)];
    } catch {
      return [];
    }
  });
}

async function detonateJob(
  job: ReplayJob,
  options: AnalyzeJobOptions,
  counters: Counters,
  replay: VerdictRecord['replay'] = 'replayed',
  followUps: readonly Session[] = [],
  peers?: PeerLookup,
): Promise<JobFindings> {
  const profiles = profilesOf(job, options);
  if (job.signature) counters.add('analyze.signature_hits');
  counters.add('analyze.detonations', profiles.length);
  const outcomes = await detonate(options.lease, itemsOf(job), profiles, {
    dwellMs: options.dwellMs ?? DEFAULT_DWELL_MS,
    followUps,
    ...(peers ? { peers } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return findingsOf(job, outcomes, replay, counters);
}

function findingsOf(job: ReplayJob, outcomes: ProfileOutcome[], replay: VerdictRecord['replay'], counters: Counters): JobFindings {
  const profilesTried = outcomes.filter((outcome) => !outcome.refused).map((outcome) => outcome.profile.id);
  const predicted = outcomes.flatMap((outcome) =>
    outcome.observations.flatMap((observation) =>
      observation.source === 'containment' && observation.event.destination.port > 0
        ? [{ address: observation.event.destination.address, port: observation.event.destination.port, proto: observation.event.transport === 'udp' ? ('udp' as const) : ('tcp' as const) }]
        : [],
    ),
  );
  const verdicts: VerdictRecord[] = [];
  const record = (level: VerdictLevel, outcome: ProfileOutcome | null, evidence: EvidenceItem[], how: VerdictRecord['replay']): void => {
    // one verdict per sending host and profile; the event lists every flow of every sender
    for (const sender of firstSessionPerHost(job.senders)) {
      verdicts.push({
        file: '',
        job,
        sender,
        level,
        profile: outcome?.profile.id ?? profilesTried[0] ?? job.profileIds[0] ?? 'none',
        profilesTried,
        evidence,
        vulnerabilities: outcome?.vulnerabilities ?? [],
        replay: job.signature ? 'signature' : how,
        ...(job.signature ? { signatureId: job.signature.signatureId } : {}),
        outcome,
        causalSession: job.session,
        ...(companionsOf.get(job)?.length ? { companionSessions: companionsOf.get(job) } : {}),
        ...(capturedPeersOf.get(job)?.length ? { capturedPeers: capturedPeersOf.get(job) } : {}),
      });
    }
  };
  const affected = outcomes.filter((outcome) => levelRank(outcome.level) >= levelRank('exploited'));
  for (const outcome of affected) record(outcome.level!, outcome, outcome.evidence, replay);
  if (affected.length === 0) {
    const attempted = outcomes.find((outcome) => outcome.level === 'attempted');
    if (attempted) record('attempted', attempted, attempted.evidence, replay);
    else {
      const analysed = analyseCode(job, counters);
      if (analysed) record('attempted', null, analysed, 'analysis');
    }
  }
  counters.add('analyze.verdicts', verdicts.length);
  // client-side jobs do not feed the host-compromise detector: its attacker/victim roles are for inbound attacks
  return { job, verdicts, attack: job.direction !== 'to_client' && (verdicts.length > 0 || job.reasons.shellcodeScore > 0), predicted };
}

/**
 * No dummy was affected, but the bytes hold attacker code: run it on its own, so the attempt is
 * reported with what the code would have done (the shellcode in an exploit aimed at the wrong stack).
 */
function analyseCode(job: ReplayJob, counters: Counters): EvidenceItem[] | null {
  if (job.reasons.shellcodeScore <= 0) return null;
  counters.add('analyze.code_analyses');
  return codeEvidence(job.session, job.service.kind);
}

/** The behaviour of attacker code found in a session's client bytes, run on its own; null when it does nothing outward. */
export function codeEvidence(session: Session, service: string): EvidenceItem[] | null {
  const bytes = clientBytes(dialogFromSession(session));
  const profiled = profileShellcode(bytes, { maxCandidates: 4, timeBudgetMs: 2_000 });
  const trace = profiled.trace;
  if (!trace) return null;
  const active = trace.events.filter((event) => ['network', 'process', 'download', 'file'].includes(event.kind));
  if (active.length === 0) return null;
  return [
    {
      kind: 'code',
      service,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      os: trace.os,
      bits: trace.bits,
      offset: trace.entryOffset,
      instructions: trace.instructionCount,
      calls: trace.events.slice(0, 24).map((event) => event.summary),
      active_calls: active.length,
    },
  ];
}

/**
 * Several jobs to one dummy per profile lease: when the dummy shows anything, the jobs are
 * re-tested in halves on fresh dummies until the culprits are found.
 */
async function detonateBatch(
  batch: ReplayJob[],
  options: AnalyzeJobOptions,
  counters: Counters,
  followUpsOf: (job: ReplayJob) => Session[],
  peersOf: (job: ReplayJob) => PeerLookup | undefined = () => undefined,
): Promise<JobFindings[]> {
  if (batch.length === 1) return [await detonateJob(batch[0]!, options, counters, 'replayed', followUpsOf(batch[0]!), peersOf(batch[0]!))];
  const profileIds = [...new Set(batch.flatMap((job) => job.profileIds))];
  const suspects = new Set<ReplayJob>();
  const dwellMs = options.dwellMs ?? DEFAULT_DWELL_MS;
  for (const profileId of profileIds) {
    const profile = options.catalogue.get(profileId);
    const members = batch.filter((job) => job.profileIds.includes(profileId));
    const infects = async (subset: readonly ReplayJob[]): Promise<boolean> => {
      counters.add('analyze.detonations');
      const outcome = await options.lease(profile, (victim: Victim) => playAll(victim, profile, subset, dwellMs, options.signal), options.signal);
      return outcome;
    };
    if (!(await infects(members))) continue;
    counters.add('analyze.group_tests');
    const found = await findCulprits(members, infects);
    counters.add('analyze.group_test_detonations', found.tests);
    for (const culprit of found.culprits) suspects.add(culprit);
  }
  const findings: JobFindings[] = [];
  for (const job of batch) {
    if (suspects.has(job)) findings.push(await detonateJob(job, options, counters, 'group-test', followUpsOf(job), peersOf(job)));
    else findings.push({ job, verdicts: [], attack: false, predicted: [] });
  }
  return findings;
}

async function playAll(victim: Victim, profile: Profile, jobs: readonly ReplayJob[], dwellMs: number, signal: AbortSignal | undefined): Promise<boolean> {
  const outcome = await detonateOnVictim(
    victim,
    profile,
    jobs.flatMap(itemsOf),
    { dwellMs, ...(signal ? { signal } : {}) },
  );
  return outcome.level !== null;
}
