/** Finding attacker code in a byte stream, and running the candidates to a behaviour trace. */
export { findShellcode, scanFindings, extendOverSetup, DEFAULT_MIN_SCORE, type ShellcodeCandidate, type Finding, type FindingReason, type FindOptions, type ShellcodeHints } from './shellcode-finder.ts';
export { payloadViews, decodePercent, decodeBase64Runs, type PayloadEncoding, type PayloadView } from './payload-decodings.ts';
export { findKernelEntries } from './kernel-entries.ts';
export { profileShellcode, runOnce, EmulatedRun, type ProfileOptions, type ProfileResult, type ProfileAttempt, type ProfileTarget, type Placement, type RunOptions } from './profile-shellcode.ts';
