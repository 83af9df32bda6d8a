/**
 * `crashtest config check FILE`: validates a YAML or JSON config against the schema and explains
 * every problem with its key path (and line, for YAML). Exit 0 valid, 2 invalid.
 */
import type { Command } from 'commander';
import { checkConfigFile, formatConfigIssue } from '../config/index.ts';
import { EXIT_OK, EXIT_USAGE } from './sessions-command.ts';

export function addConfigCommand(program: Command, setExitCode: (code: number) => void): void {
  const config = program.command('config').description('work with configuration files');
  config
    .command('check')
    .description('validate a YAML or JSON config file; every error is named by its key path')
    .argument('<file>', 'config file (.yaml, .yml or .json)')
    .action((file: string) => {
      setExitCode(checkConfig(file));
    });
}

export function checkConfig(file: string): number {
  const checked = checkConfigFile(file);
  if (checked.ok) {
    const interfaces = checked.config.sensor.interfaces;
    process.stdout.write(`${file}: valid${interfaces.length > 0 ? ` (sensor on ${interfaces.join(', ')})` : ''}\n`);
    return EXIT_OK;
  }
  process.stderr.write(`${file}: ${checked.issues.length} problem(s)\n`);
  for (const issue of checked.issues) process.stderr.write(`  ${formatConfigIssue(issue)}\n`);
  return EXIT_USAGE;
}
