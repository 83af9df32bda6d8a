/** The composition root: wires capture → decode → flow (and later stages) and owns their lifecycles. */
export { runSessionsJob, mergeCounters, type FileResult, type SessionSource, type SessionsJobOptions, type SessionsJobResult } from './sessions-job.ts';
export { SessionExporter, exportStem, streamBytes } from './session-export.ts';
export { openAttributionService, type AttributionService, type AttributionServiceOptions, type WhoAnswer } from './attribution-service.ts';
export { openRespondService, RULE_STATES, type RespondService, type RespondServiceOptions, type AuditEntry, type Rule, type RuleState, type VerdictOutcome, type VerdictRef } from './respond-service.ts';
export { openProfilesService, type ProfilesService, type ProfilesQuery } from './profiles-service.ts';
export { analyzeCaptures, verdictEvent, type AnalyzeServiceOptions, type AnalyzeSummary } from './analyze-service.ts';
export { openAnalyzeResponse, responseEvent, type AnalyzeResponse, type AnalyzeResponseOptions, type ResponseRecord } from './analyze-response.ts';
export { runAnalyzeJob, type AnalyzeJobOptions, type AnalyzeJobResult, type VerdictRecord } from './analyze-job.ts';
export { createEmulatedFarm, type EmulatedFarm } from './emulated-farm.ts';
export { buildDemoCapture, DEMO_CONTENTS, DEMO_HOSTS, DEMO_CALLBACK_PORT, DEMO_LDAP_PORT } from './demo-capture.ts';
export { detonate, detonateOnVictim, portFor, type Lease, type ProfileOutcome, type DetonationItem } from './detonator.ts';
export { verifyBundle, sessionFromBundle, type VerifyResult } from './verify-service.ts';
export { loadSignatureFile, saveSignatureFile, suricataRulesFrom } from './signatures-service.ts';
