/**
 * The interpreters an emulated host uses by default: the Log4j lookup evaluator and JNDI resolver,
 * and the vulnerable applications' module images for attacker code.
 */
import { evaluateLog4jLookups, hostJndiContext } from '../jndi/index.ts';
import { applicationModulesFor } from '../windows/application-images.ts';
import type { HostInterpreters } from './emulated-host.ts';

export function defaultInterpreters(): HostInterpreters {
  return {
    log4j: (text, host, origin) => void evaluateLog4jLookups(text, hostJndiContext(host, origin)),
    applicationModules: applicationModulesFor,
  };
}
