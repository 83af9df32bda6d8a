import { Counters, type Session } from '../core/index.ts';
import { defaultConfig, type Config } from '../config/index.ts';
import type { ObservedFacts, ProfileCatalogue } from '../sandbox/index.ts';
import { clientPayload } from './client-payload.ts';
import { clientSideJob } from './client-side-jobs.ts';
import { DedupeIndex } from './dedupe-index.ts';
import { JobQueue } from './job-queue.ts';
import { LearnedSignatures, type LearnedSignature, type VerdictFacts } from './learned-signatures.ts';
import { payloadKey } from './payload-key.ts';
import { scorePriority } from './priority-score.ts';
import { profilesOffering, selectProfiles } from './profile-selector.ts';
import { ProtectedNetworks } from './protected-networks.ts';
import { senderOf, type ReplayJob } from './replay-job.ts';
import { ScanTracker } from './scan-tracker.ts';
import { ServiceIdentifier } from './service-identifier.ts';
import { observeTargetFacts } from './target-facts.ts';
import type { SkipReason, TriageDecision } from './triage-decision.ts';

export type TriageConfig = Config['triage'];

export interface TriageOptions {
  catalogue: ProfileCatalogue;
  /** defaults to the config: its networks, or every receiver when `protectEveryReceiver` is set */
  protectedNetworks?: ProtectedNetworks;
  /** the `triage` config section; defaults for anything not given */
  config?: Partial<TriageConfig>;
  counters?: Counters;
}

/**
 * The triage stage: decides which sessions are worth a dummy. A session becomes a job when it is
 * aimed at a protected host, at a service some profile offers, and the client sent payload; an
 * identical payload already scheduled for the same profiles only adds its sender; a payload a
 * learned signature proves is flagged without replay. Jobs wait in a bounded priority queue.
 */
export class Triage {
  readonly counters: Counters;
  readonly protectedNetworks: ProtectedNetworks;
  private readonly config: TriageConfig;
  private readonly catalogue: ProfileCatalogue;
  private readonly identifier: ServiceIdentifier;
  private readonly queue: JobQueue;
  private readonly dedupe: DedupeIndex;
  private readonly scans: ScanTracker;
  private readonly signatures: LearnedSignatures;
  private nextJobId = 1;

  constructor(options: TriageOptions) {
    this.config = { ...defaultConfig().triage, ...options.config } as TriageConfig;
    this.counters = options.counters ?? new Counters();
    this.catalogue = options.catalogue;
    this.protectedNetworks =
      options.protectedNetworks ??
      (this.config.protectEveryReceiver ? ProtectedNetworks.everyReceiver() : ProtectedNetworks.fromCidrs(this.config.protectedNetworks));
    this.identifier = new ServiceIdentifier(this.catalogue);
    this.queue = new JobQueue(
      { capacity: this.config.queueCapacity, overflowPolicy: this.config.queueOverflowPolicy, droppedLogSize: this.config.droppedLogSize },
      this.counters,
    );
    this.dedupe = new DedupeIndex(this.config.dedupeCapacity, this.counters);
    this.scans = new ScanTracker(
      { windowSeconds: this.config.scanWindowMs / 1000, threshold: this.config.scanThresholdTargets, maxSources: this.config.scanTrackedSources },
      this.counters,
    );
    this.signatures = new LearnedSignatures(
      { maxSignatures: this.config.maxSignatures, firstSid: this.config.signatureFirstSid, matchContent: this.config.signatureContentMatch },
      this.counters,
    );
  }

  /**
   * Considers one finished session. `targetFacts` adds what the caller knows of the target beyond
   * the session record (the SYN/ACK's TCP window, a fingerprint from elsewhere). Never throws.
   */
  offer(session: Session, targetFacts?: ObservedFacts): TriageDecision {
    this.counters.add('triage.offered');
    try {
      const decision = this.decide(session, targetFacts);
      this.offerClientSide(session);
      return decision;
    } catch {
      // a bug met odd input: count it and keep the pipeline going rather than lose the capture
      return this.skip('analysis_error');
    }
  }

  /** The highest-priority waiting job, or undefined. */
  next(): ReplayJob | undefined {
    const job = this.queue.pop();
    if (job) this.counters.add('triage.dispatched');
    return job;
  }

  get queued(): number {
    return this.queue.size;
  }

  /** Jobs the queue's overflow policy dropped since the last call. */
  takeDropped(): ReplayJob[] {
    return this.queue.takeDropped();
  }

  /** Records that a payload was proven to exploit or compromise a profile; later copies match at once. */
  learn(jobOrKey: ReplayJob | string, facts: VerdictFacts): LearnedSignature | undefined {
    const job = typeof jobOrKey === 'string' ? this.dedupe.get(jobOrKey)?.jobs[0] : jobOrKey;
    return job ? this.signatures.learn(job, facts) : undefined;
  }

  /** Signatures proven in earlier runs: copies of their payloads are answered without a replay. */
  restoreSignatures(signatures: readonly LearnedSignature[]): void {
    for (const signature of signatures) this.signatures.restore(signature);
  }

  learnedSignatures(): LearnedSignature[] {
    return this.signatures.list();
  }

  /** Counters under `triage.` as a plain object. */
  stats(): Record<string, number> {
    return this.counters.snapshot('triage.');
  }

  private decide(session: Session, targetFacts: ObservedFacts | undefined): TriageDecision {
    const proto = session.proto;
    const targets = this.scans.observe(session.client.ip, `${session.server.ip}|${proto}/${session.server.port}`, session.startSeconds);
    if (!this.protectedNetworks.isProtected(session.server.ip)) return this.skip('not_protected');
    const payload = clientPayload(session);
    if (payload.bytes.length === 0) return this.skip('no_client_payload');
    const identified = this.identifier.identify(session);
    if (!identified) return this.skip('no_profile_service');
    const offering = profilesOffering(this.catalogue, identified.kind, proto, session.server.port);
    if (offering.length === 0) return this.skip('no_profile_service');
    this.counters.add('triage.candidates');
    this.counters.add(`triage.service.${identified.kind}`);

    const facts = observeTargetFacts(session, targetFacts);
    const selection = selectProfiles(offering, identified.kind, facts);
    if (selection.relaxed) this.counters.add('triage.profiles.facts_relaxed');
    const key = payloadKey(payload, { kind: identified.kind, protocol: identified.protocol, clientIp: session.client.ip, serverIp: session.server.ip });
    const draft: ReplayJob = {
      id: 0,
      payloadKey: key.key,
      maskedRanges: key.masked,
      service: { ...identified, proto, port: session.server.port },
      session,
      senders: [senderOf(session)],
      profileIds: selection.profiles.map((profile) => profile.id),
      targetFacts: facts,
      factsUsed: selection.factsUsed,
      priority: 0,
      reasons: { shellcodeScore: 0, shellcodeReasons: [], injectionMarkers: [], oversizeFields: [], senderTargets: targets, scanningSource: this.scans.isScanning(targets), firstSeenPayload: false },
      midstream: session.midstream,
    };

    const match = this.signatures.match(key.key, identified.kind, payload.bytes);
    if (match) {
      // proven already: the job records the proof instead of spending dummies on it
      this.counters.add('triage.signature_hits');
      return { action: 'matched', job: { ...draft, id: this.nextJobId++, signature: { signatureId: match.signature.id, matchedBy: match.matchedBy } } };
    }
    return this.attachToKnown(draft) ?? this.enqueue(draft, payload.bytes, identified.protocol);
  }

  /** An identical payload already scheduled: join it, widening a job that has not run yet. */
  private attachToKnown(draft: ReplayJob): TriageDecision | undefined {
    const known = this.dedupe.get(draft.payloadKey);
    if (!known) return undefined;
    const sender = draft.senders[0]!;
    const uncovered = draft.profileIds.filter((id) => !known.profileIds.has(id));
    if (uncovered.length === 0) {
      const related = known.jobs.filter((job) => job.profileIds.some((id) => draft.profileIds.includes(id)));
      for (const job of related) job.senders.push(sender);
      this.counters.add('triage.deduplicated');
      return { action: 'attached', job: related[0] ?? known.jobs[0]! };
    }
    const waiting = this.queue.find((job) => job.payloadKey === draft.payloadKey);
    if (!waiting) {
      draft.profileIds = uncovered; // the others already ran this payload
      return undefined;
    }
    waiting.profileIds.push(...uncovered);
    for (const id of uncovered) known.profileIds.add(id);
    waiting.senders.push(sender);
    this.counters.add('triage.deduplicated');
    return { action: 'attached', job: waiting };
  }

  private enqueue(draft: ReplayJob, payload: Buffer, protocol: string): TriageDecision {
    const firstSeenPayload = this.dedupe.get(draft.payloadKey) === undefined;
    const scored = scorePriority({
      payload,
      protocol,
      shellcodeScanBytes: this.config.shellcodeScanBytes,
      senderTargets: draft.reasons.senderTargets,
      scanningSource: draft.reasons.scanningSource,
      firstSeenPayload,
      midstream: draft.midstream,
    });
    if (scored.scanTruncated) this.counters.add('triage.shellcode.scan_truncated');
    const job: ReplayJob = { ...draft, id: this.nextJobId++, priority: scored.priority, reasons: scored.reasons };
    this.dedupe.add(job);
    const displaced = this.queue.push(job);
    if (displaced) this.dedupe.forget(displaced);
    if (displaced === job) return { action: 'dropped', job };
    this.counters.add('triage.queued');
    return { action: 'queued', job, displaced };
  }

  /** A protected client that fetched active content: a `to_client` job besides whatever the server side became. */
  private offerClientSide(session: Session): void {
    const draft = clientSideJob(session, { catalogue: this.catalogue, protectedNetworks: this.protectedNetworks });
    if (!draft) return;
    this.counters.add('triage.client_side.candidates');
    const known = this.dedupe.get(draft.payloadKey);
    if (known?.jobs[0]) {
      known.jobs[0].senders.push(draft.senders[0]!);
      this.counters.add('triage.deduplicated');
      return;
    }
    const job: ReplayJob = { ...draft, id: this.nextJobId++ };
    this.dedupe.add(job);
    const displaced = this.queue.push(job);
    if (displaced) this.dedupe.forget(displaced);
    if (displaced !== job) this.counters.add('triage.queued');
  }

  private skip(reason: SkipReason): TriageDecision {
    this.counters.add(`triage.skipped.${reason}`);
    return { action: 'skipped', reason };
  }
}
