/**
 * A logged string as Log4j 2.0–2.14.1 formats it: every `${…}` lookup evaluated (nested,
 * obfuscated), each `jndi:` name handed to the emulated JNDI resolver, whose network calls go
 * through the dummy's endpoint. The caller (the host) decides whether its Log4j evaluates lookups
 * at all; this function just evaluates. Every lookup becomes a `lookup` observation.
 */
import type { JndiContext } from './jndi-context.ts';
import { socketOpener } from './jndi-context.ts';
import { JndiResolver } from './jndi-resolver.ts';
import { log4jInterpolator } from './log4j-interpolator.ts';
import { DEFAULT_LOG4J_LOOKUP_LIMITS, type Log4jLookupLimits } from './log4j-lookup-limits.ts';
import { substituteLog4jLookups } from './log4j-substitutor.ts';

/** a plausible wall clock for `${date:…}`: the dummy's image date plus its virtual time */
const DUMMY_EPOCH_MS = Date.UTC(2021, 11, 10, 9, 0, 0);

export interface Log4jEvaluation {
  /** the message as Log4j would have written it */
  text: string;
  /** every JNDI name looked up, after substitution (`ldap://host:1389/a`) */
  jndiNames: string[];
  /** a bound cut the evaluation short */
  exhausted: boolean;
}

export function evaluateLog4jLookups(text: string, context: JndiContext): Log4jEvaluation {
  const limits: Log4jLookupLimits = { ...DEFAULT_LOG4J_LOOKUP_LIMITS, ...context.limits };
  const resolver = new JndiResolver(context, socketOpener(context));
  const jndiNames: string[] = [];
  let exhausted = false;
  const interpolate = log4jInterpolator({
    environment: context.environment,
    now: context.wallClock?.() ?? new Date(DUMMY_EPOCH_MS + context.now()),
    jndi: (name, expression) => {
      if (jndiNames.length >= limits.maxJndiLookups) {
        exhausted = true;
        return null;
      }
      jndiNames.push(name);
      context.observe({ kind: 'lookup', at: context.now(), expression, resolved: `jndi:${name}`, origin: context.origin });
      resolver.lookup(name);
      // a reference the dummy cannot instantiate: JndiLookup returns null and the text stays
      return null;
    },
  });
  let jndiBefore = 0;
  const result = substituteLog4jLookups(text, interpolate, limits, (expression, value) => {
    // an expression that reached JNDI was observed as such; the others are observed here
    if (jndiNames.length === jndiBefore) context.observe({ kind: 'lookup', at: context.now(), expression, resolved: value ?? expression, origin: context.origin });
    jndiBefore = jndiNames.length;
  });
  return { text: result.text, jndiNames, exhausted: exhausted || result.exhausted };
}
