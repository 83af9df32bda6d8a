import { DEFAULT_MIN_SCORE, findShellcode } from '../emulator/index.ts';
import { findInjectionMarkers } from './injection-markers.ts';
import { findOversizeFields } from './oversize-fields.ts';
import type { PriorityReasons } from './replay-job.ts';

/**
 * How urgently a payload deserves a dummy. Each heuristic adds a bounded amount so no single one
 * swamps the rest: attacker-code-like bytes weigh most (they are what a dummy runs), with their text-form cousins (JNDI lookups, shell commands), then fields
 * far longer than their protocol needs, then a sender that is sweeping many hosts or ports, then a
 * payload never seen before. A mid-stream session ranks a little lower: its replay starts blind.
 */
export const WEIGHTS = {
  shellcode: 40,
  shellcodeScoreCap: 30,
  injectionMarkers: 35,
  oversizeFirst: 25,
  oversizeEach: 5,
  oversizeCap: 40,
  scanningSource: 15,
  firstSeen: 10,
  midstream: -5,
} as const;

export interface PriorityInput {
  payload: Buffer;
  protocol: string;
  /** client bytes searched for code; the finder is linear but not cheap (about 1 ms per KiB worst case) */
  shellcodeScanBytes: number;
  senderTargets: number;
  scanningSource: boolean;
  firstSeenPayload: boolean;
  midstream: boolean;
}

export function scorePriority(input: PriorityInput): { priority: number; reasons: PriorityReasons; scanTruncated: boolean } {
  const scanned = input.payload.subarray(0, input.shellcodeScanBytes);
  const best = findShellcode(scanned, { maxCandidates: 1 })[0];
  const oversizeFields = findOversizeFields(input.payload, input.protocol);
  const injectionMarkers = findInjectionMarkers(input.payload);
  let priority = 0;
  if (best && best.score >= DEFAULT_MIN_SCORE) priority += WEIGHTS.shellcode + Math.min(best.score, WEIGHTS.shellcodeScoreCap);
  if (injectionMarkers.length > 0) priority += WEIGHTS.injectionMarkers;
  if (oversizeFields.length > 0) {
    priority += Math.min(WEIGHTS.oversizeCap, WEIGHTS.oversizeFirst + WEIGHTS.oversizeEach * (oversizeFields.length - 1));
  }
  if (input.scanningSource) priority += WEIGHTS.scanningSource;
  if (input.firstSeenPayload) priority += WEIGHTS.firstSeen;
  if (input.midstream) priority += WEIGHTS.midstream;
  return {
    priority,
    scanTruncated: input.payload.length > input.shellcodeScanBytes,
    reasons: {
      shellcodeScore: best?.score ?? 0,
      shellcodeReasons: best ? [...best.reasons] : [],
      injectionMarkers,
      oversizeFields,
      senderTargets: input.senderTargets,
      scanningSource: input.scanningSource,
      firstSeenPayload: input.firstSeenPayload,
    },
  };
}
