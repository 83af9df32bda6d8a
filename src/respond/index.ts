/** The response stage: verdicts → port-down rules through enforcement drivers, behind safety rails. */
export { VERDICT_LEVELS, levelAtLeast, type VerdictLevel, type VerdictRef } from './verdict-ref.ts';
export {
  RULE_STATES,
  FINAL_RULE_STATES,
  type AuditEntry,
  type AuditLog,
  type NewRule,
  type Rule,
  type RuleAction,
  type RuleFilter,
  type RulePatch,
  type RuleReason,
  type RuleState,
  type RuleStore,
  type RuleTarget,
} from './rule.ts';
export { DryRunEnforcer, type Enforcer, type EnforcerCapabilities } from './enforcer.ts';
export { SafetyRails, type Refusal, type RefusalCode, type SafetyRailSettings } from './safety-rails.ts';
export { Responder, type ResponderOptions, type ResponderSettings, type TargetLookup, type VerdictOutcome } from './responder.ts';
