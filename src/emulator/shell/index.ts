/** The emulated shells of a dummy (cmd.exe and sh) and the context they run in. */
export { runShellCommand } from './run-shell-command.ts';
export { hostShellContext } from './host-shell-context.ts';
export { DEFAULT_SHELL_LIMITS, type ShellContext, type ShellLimits } from './shell-context.ts';
export { parseSh } from './sh-parser.ts';
export { parseCmd, expandCmdVariables } from './cmd-parser.ts';
export { scriptConnectTargets, scriptUrls, type ConnectTarget } from './script-connect-targets.ts';
