/** Verdicts: what a dummy's observations amount to, and which real hosts behave infected. */
export { judge, egressEvidence, type Judgement, type EvidenceItem } from './judge.ts';
export { higherLevel, levelRank, type VerdictLevel } from './level.ts';
export * from './host-compromise/index.ts';
