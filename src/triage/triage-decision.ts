import type { ReplayJob } from './replay-job.ts';

/**
 * Why a session is not a candidate. Each is counted as `triage.skipped.<reason>`.
 * - not_protected: the server is not a protected host
 * - no_client_payload: the client sent no bytes after the handshake (scans, failed connects)
 * - no_profile_service: neither content nor port names a service, or no profile offers it
 * - analysis_error: a bug met odd input; counted, never thrown into the pipeline
 */
export type SkipReason = 'not_protected' | 'no_client_payload' | 'no_profile_service' | 'analysis_error';

/**
 * What `Triage.offer` decided:
 * - queued: a new job waits in the queue
 * - dropped: a new job that the full queue's overflow policy refused (`triage.queue.overflow_dropped`)
 * - attached: the payload is already a job for these profiles; this sender joined it (if that job
 *   already ran, its verdict applies to this sender too)
 * - matched: a learned signature proves the payload; the job carries the signature and is not replayed
 * - skipped: not a candidate
 */
export type TriageDecision =
  | { action: 'queued'; job: ReplayJob; displaced: ReplayJob | null }
  | { action: 'dropped'; job: ReplayJob }
  | { action: 'attached'; job: ReplayJob }
  | { action: 'matched'; job: ReplayJob }
  | { action: 'skipped'; reason: SkipReason };
