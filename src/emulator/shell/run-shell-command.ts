/**
 * One command line in an emulated shell of the dummy (cmd.exe or sh): parsed as the real shell
 * parses it, run with the dummy's files, environment and network. Returns what the shell prints
 * (stdout and stderr as a terminal shows them). Bounded; never throws on what it is given.
 */
import { CmdInterpreter } from './cmd-interpreter.ts';
import type { CommandOutput } from './command-output.ts';
import { ShInterpreter } from './sh-interpreter.ts';
import type { ShellContext } from './shell-context.ts';
import { ShellRun, type ShellKind } from './shell-run.ts';

export function runShellCommand(kind: ShellKind, commandLine: string, context: ShellContext): string {
  const run = new ShellRun(context, kind);
  const result: CommandOutput = kind === 'cmd' ? new CmdInterpreter(run).runLine(commandLine, '') : new ShInterpreter(run).runScript(commandLine, '');
  const output = result.stdout + result.stderr;
  return output.length > run.limits.maxOutput ? output.slice(0, run.limits.maxOutput) : output;
}
