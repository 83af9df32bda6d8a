/**
 * What the response stage needs of a verdict. The verdict stage (issue 5) does not exist yet; it will
 * hand these over. Levels follow DESIGN.md: attempted < exploited < compromised.
 */
export const VERDICT_LEVELS = ['attempted', 'exploited', 'compromised'] as const;
export type VerdictLevel = (typeof VERDICT_LEVELS)[number];

export interface VerdictRef {
  /** the causal session's id as the flow stage gave it (and the attribution journal keeps it) */
  sessionId: number;
  /** the session's source, as seen in the capture; used when the journal has no row for the session */
  srcIp: string;
  /** 48-bit integer MAC, -1 when unknown */
  srcMac: number;
  level: VerdictLevel;
  /** why: what the dummy did (`egress tcp 4444 from winxp-sp1`) */
  reason: string;
}

export function levelAtLeast(level: VerdictLevel, minimum: VerdictLevel): boolean {
  return VERDICT_LEVELS.indexOf(level) >= VERDICT_LEVELS.indexOf(minimum);
}
