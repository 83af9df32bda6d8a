/** The emulated Java side of Log4Shell: Log4j 2.0–2.14.1 lookups and the JNDI providers they reach. */
export { evaluateLog4jLookups, type Log4jEvaluation } from './evaluate-log4j-lookups.ts';
export type { JndiContext } from './jndi-context.ts';
export { hostJndiContext } from './host-jndi-context.ts';
export { javaEnvironment, fakeSecret, type JavaEnvironment, type JavaEnvironmentOptions } from './java-environment.ts';
export { DEFAULT_LOG4J_LOOKUP_LIMITS, type Log4jLookupLimits } from './log4j-lookup-limits.ts';
export { parseJndiUri, type JndiUri } from './jndi-uri.ts';
export { trustsUrlCodebase } from './remote-factory.ts';
export { ldapBindRequest, ldapSearchRequest, readLdapAnswer, type LdapAnswer } from './ldap-messages.ts';
