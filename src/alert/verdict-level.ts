import type { VerdictLevel } from '../verdict/index.ts';

export type { VerdictLevel };

/**
 * The verdict stage's levels, weakest first, as a list: the bundle reader checks against it and
 * docs/events.md lists it. `satisfies` keeps it equal to the verdict stage's type.
 */
export const VERDICT_LEVELS = ['attempted', 'exploited', 'compromised'] as const satisfies readonly VerdictLevel[];
