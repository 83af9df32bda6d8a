/**
 * Triage: which captured sessions are worth a dummy. Protected networks, service identification,
 * payload keys for deduplication, ranking into a bounded priority queue, profile selection from
 * what the capture shows of the target, and signatures learned from proven payloads.
 */
export { Triage, type TriageOptions, type TriageConfig } from './triage.ts';
export { type TriageDecision, type SkipReason } from './triage-decision.ts';
export { ProtectedNetworks, PRIVATE_NETWORKS, parseAddress, type ProtectionMode } from './protected-networks.ts';
export { ServiceIdentifier, smbDialectFamily, isDcerpcConnectionOriented, isTlsClientHello, type ServiceIdentification } from './service-identifier.ts';
export { clientPayload, serverTurns, type ClientPayload } from './client-payload.ts';
export { payloadKey, mergeRanges, type PayloadKey, type PayloadKeyContext } from './payload-key.ts';
export { findInjectionMarkers } from './injection-markers.ts';
export { findOversizeFields, type OversizeField } from './oversize-fields.ts';
export { scorePriority, WEIGHTS, type PriorityInput } from './priority-score.ts';
export { ScanTracker, type ScanTrackerOptions } from './scan-tracker.ts';
export { JobQueue, type JobQueueOptions, type QueueOverflowPolicy } from './job-queue.ts';
export { DedupeIndex, type DedupeEntry } from './dedupe-index.ts';
export { observeTargetFacts } from './target-facts.ts';
export { profilesOffering, selectProfiles, type ProfileSelection } from './profile-selector.ts';
export { LearnedSignatures, type LearnedSignature, type LearnedSignaturesOptions, type VerdictFacts } from './learned-signatures.ts';
export { chooseContentPattern, PATTERN_LENGTH, type ContentPattern } from './content-pattern.ts';
export { exportSuricataRules, suricataRule, escapeContent, type SuricataExportOptions } from './suricata-rules.ts';
export { senderOf, type ReplayJob, type Sender, type PriorityReasons, type SignatureMatch } from './replay-job.ts';
export { encodeSignatures, decodeSignatures } from './signature-file.ts';
export { clientSideContent, clientSideJob, serverAsSender, CLIENT_SERVICE, type ClientSideContent } from './client-side-jobs.ts';
