import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isCrashtestError } from '../core/index.ts';
import { addAnalyzeCommand } from './analyze-command.ts';
import { addConfigCommand } from './config-command.ts';
import { addRunCommand } from './run-command.ts';
import { addDemoCommand } from './demo-command.ts';
import { addProfilesCommand } from './profiles-command.ts';
import { addSignaturesCommand } from './signatures-command.ts';
import { addVerifyCommand } from './verify-command.ts';
import { addWebCommand } from './web-command.ts';
import { addAttributionCommands } from './respond.ts';
import { addSessionsCommand, describeError, EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE } from './sessions-command.ts';

/**
 * The `crashtest` command line. Each subcommand lives in its own file under src/cli/.
 * Returns the exit code: 0 success (and --help/--version), 1 an input or environment failure,
 * 2 a usage error.
 */
export async function main(argv: string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command('crashtest')
    .description('crash-test-dummy intrusion detection')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  const setExitCode = (code: number): void => {
    exitCode = code;
  };
  addDemoCommand(program, setExitCode);
  addAnalyzeCommand(program, setExitCode);
  addSessionsCommand(program, setExitCode);
  addVerifyCommand(program, setExitCode);
  addSignaturesCommand(program, setExitCode);
  addAttributionCommands(program, setExitCode);
  addProfilesCommand(program, setExitCode);
  addConfigCommand(program, setExitCode);
  addRunCommand(program, setExitCode);
  addWebCommand(program, setExitCode);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error);
    if (isCrashtestError(error)) {
      process.stderr.write(`crashtest: ${describeError(error)}\n`);
      return USAGE_CODES.has(error.code) ? EXIT_USAGE : EXIT_INPUT_FAILED;
    }
    throw error;
  }
  return exitCode;
}

/** a bad argument or configuration named on the command line is the caller's mistake: exit 2 */
const USAGE_CODES = new Set<string>(['CT_ERR_INVALID_ARGUMENT', 'CT_ERR_CONFIG_INVALID', 'CT_ERR_CONFIG_READ']);

function commanderExitCode(error: CommanderError): number {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
  // everything else commander raises (unknown option, missing argument, no command) is usage
  return EXIT_USAGE;
}

function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
