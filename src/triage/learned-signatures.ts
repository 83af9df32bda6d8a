import type { Counters } from '../core/index.ts';
import { chooseContentPattern, type ContentPattern } from './content-pattern.ts';
import { clientPayload } from './client-payload.ts';
import type { ReplayJob } from './replay-job.ts';

/**
 * Signatures learned from proof: once the pipeline shows a payload exploits or compromises a
 * profile, later copies are flagged at once, without spending a dummy. A signature matches on the
 * normalised payload key (exact copies) or, for variants whose masked-out fields are all that
 * differ plus other fields the key keeps, on its content pattern within the same service kind.
 * The store is bounded: beyond `maxSignatures` the oldest is forgotten and counted
 * (`triage.signatures.evicted`).
 */
export interface VerdictFacts {
  level: 'exploited' | 'compromised';
  /** bulletin or CVE id the verdict named (MS17-010, CVE-2021-44228), if any */
  vulnerability?: string;
  /** what the dummy did, in a few words ("connect-back to :4444", "sends copies of itself to UDP 1434") */
  behaviour?: string;
  profileIds?: string[];
  /** bytes the verdict stage saw reach the vulnerable code, preferred as the content pattern */
  trigger?: Buffer;
}

export interface LearnedSignature {
  /** Suricata sid */
  id: number;
  revision: number;
  payloadKey: string;
  serviceKind: string;
  proto: 'tcp' | 'udp';
  /** null when the port varies by nature (DCE/RPC dynamic ports) */
  port: number | null;
  content: ContentPattern | null;
  message: string;
  facts: Omit<VerdictFacts, 'trigger'>;
  learnedSeconds: number;
}

export interface LearnedSignaturesOptions {
  maxSignatures: number;
  /** sid of the first signature; 1 000 000–1 999 999 is the range Suricata leaves for local rules */
  firstSid: number;
  /** also match variants by content pattern, not only exact payload keys */
  matchContent: boolean;
}

/** content shorter than this matches too much to flag without replay */
const MIN_CONTENT_MATCH = 16;
const VARYING_PORT_KINDS = new Set(['msrpc-dynamic']);

export class LearnedSignatures {
  private readonly byKey = new Map<string, LearnedSignature>();
  private nextSid: number;

  constructor(
    private readonly options: LearnedSignaturesOptions,
    private readonly counters: Counters,
  ) {
    this.nextSid = options.firstSid;
  }

  get size(): number {
    return this.byKey.size;
  }

  list(): LearnedSignature[] {
    return [...this.byKey.values()];
  }

  /** Takes back a signature learned in an earlier run (from a signature file); later sids continue after it. */
  restore(signature: LearnedSignature): void {
    this.byKey.delete(signature.payloadKey);
    this.byKey.set(signature.payloadKey, signature);
    this.nextSid = Math.max(this.nextSid, signature.id + 1);
    if (this.byKey.size > this.options.maxSignatures) {
      const oldest = this.byKey.keys().next().value;
      if (oldest !== undefined) this.byKey.delete(oldest);
      this.counters.add('triage.signatures.evicted');
    }
  }

  /** Stores (or revises) the signature of a job's payload. */
  learn(job: Pick<ReplayJob, 'payloadKey' | 'service' | 'session' | 'maskedRanges'>, facts: VerdictFacts): LearnedSignature {
    const existing = this.byKey.get(job.payloadKey);
    const { trigger, ...kept } = facts;
    const content = chooseContentPattern(clientPayload(job.session).bytes, job.maskedRanges, trigger);
    const signature: LearnedSignature = {
      id: existing?.id ?? this.nextSid++,
      revision: (existing?.revision ?? 0) + 1,
      payloadKey: job.payloadKey,
      serviceKind: job.service.kind,
      proto: job.service.proto,
      port: VARYING_PORT_KINDS.has(job.service.kind) ? null : job.service.port,
      content: content ?? existing?.content ?? null,
      message: describe(job.service.kind, kept),
      facts: kept,
      learnedSeconds: job.session.startSeconds,
    };
    this.byKey.delete(job.payloadKey);
    this.byKey.set(job.payloadKey, signature);
    this.counters.add('triage.signatures.learned');
    if (this.byKey.size > this.options.maxSignatures) {
      const oldest = this.byKey.keys().next().value;
      if (oldest !== undefined) this.byKey.delete(oldest);
      this.counters.add('triage.signatures.evicted');
    }
    return signature;
  }

  /** The signature a payload matches, by key first, then by content within the same service kind. */
  match(payloadKey: string, serviceKind: string, payload: Buffer): { signature: LearnedSignature; matchedBy: 'payload_key' | 'content' } | undefined {
    const exact = this.byKey.get(payloadKey);
    if (exact) return { signature: exact, matchedBy: 'payload_key' };
    if (!this.options.matchContent) return undefined;
    for (const signature of this.byKey.values()) {
      const content = signature.content;
      if (signature.serviceKind !== serviceKind || !content || content.bytes.length < MIN_CONTENT_MATCH) continue;
      if (payload.includes(content.bytes)) return { signature, matchedBy: 'content' };
    }
    return undefined;
  }
}

function describe(kind: string, facts: Omit<VerdictFacts, 'trigger'>): string {
  const what = facts.vulnerability ?? facts.behaviour ?? 'payload proven by replay';
  const behaviour = facts.vulnerability && facts.behaviour ? ` (${facts.behaviour})` : '';
  return `crashtest learned: ${what} ${facts.level} a ${kind} dummy${behaviour}`;
}
