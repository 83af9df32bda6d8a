/** The three levels of a dummy's verdict, ordered. */
export type VerdictLevel = 'attempted' | 'exploited' | 'compromised';

const ORDER: Record<VerdictLevel, number> = { attempted: 1, exploited: 2, compromised: 3 };

export function levelRank(level: VerdictLevel | null): number {
  return level === null ? 0 : ORDER[level];
}

export function higherLevel(a: VerdictLevel | null, b: VerdictLevel | null): VerdictLevel | null {
  return levelRank(a) >= levelRank(b) ? a : b;
}
