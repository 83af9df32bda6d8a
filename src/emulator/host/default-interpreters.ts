/**
 * The interpreters an emulated host uses by default: its shells (cmd.exe and sh), the Log4j lookup
 * evaluator and JNDI resolver, and the vulnerable applications' module images for attacker code.
 */
import { evaluateLog4jLookups, hostJndiContext } from '../jndi/index.ts';
import { hostShellContext, runShellCommand } from '../shell/index.ts';
import { applicationModulesFor } from '../windows/application-images.ts';
import type { HostInterpreters } from './emulated-host.ts';

/** socket ids of shells and lookups; the CPU's guest sockets count up from small numbers */
const FIRST_INTERPRETER_SOCKET = 0x7000;

export function defaultInterpreters(): HostInterpreters {
  let nextSocket = FIRST_INTERPRETER_SOCKET;
  const socketIds = (): number => (nextSocket = nextSocket >= 0x7fff ? FIRST_INTERPRETER_SOCKET : nextSocket + 1);
  return {
    shell: (kind, commandLine, host, origin) => runShellCommand(kind, commandLine, hostShellContext(host, origin, socketIds)),
    log4j: (text, host, origin) => evaluateLog4jLookups(text, hostJndiContext(host, origin, socketIds)).jndiNames,
    applicationModules: applicationModulesFor,
  };
}
