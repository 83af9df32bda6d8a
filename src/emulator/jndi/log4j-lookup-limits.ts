/** Bounds of one Log4j evaluation: hostile text must not make the resolver loop or grow without end. */
export interface Log4jLookupLimits {
  /** `${…}` expressions evaluated in one text (Log4j has no limit; a nested bomb must not be ours) */
  maxLookups: number;
  /** nesting depth of `${` inside `${` */
  maxDepth: number;
  /** characters the substituted text may grow to */
  maxLength: number;
  /** JNDI lookups that reach the network */
  maxJndiLookups: number;
}

export const DEFAULT_LOG4J_LOOKUP_LIMITS: Log4jLookupLimits = {
  maxLookups: 512,
  maxDepth: 32,
  maxLength: 65_536,
  maxJndiLookups: 8,
};
