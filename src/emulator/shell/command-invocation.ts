/** One command as a shell hands it to its implementation. */
import type { CommandOutput } from './command-output.ts';
import type { ShellRun } from './shell-run.ts';

export interface CommandInvocation {
  run: ShellRun;
  /** argv[0] is the name as typed */
  argv: string[];
  stdin: string;
  /** cmd only: the argument text after the name as typed (Windows programs parse their own command line) */
  rawArguments: string;
}

export type ShellCommand = (invocation: CommandInvocation) => CommandOutput;
