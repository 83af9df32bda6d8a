/** `crashtest verify BUNDLE...`: re-run each verdict from its replay bundle and say whether it reproduces. */
import type { Command } from 'commander';
import { verifyBundle } from '../daemon/index.ts';
import { EXIT_INPUT_FAILED, EXIT_OK } from './sessions-command.ts';

export function addVerifyCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('verify')
    .description('re-run verdicts from replay bundles (bundle.json of an evidence folder) and check they reproduce')
    .argument('<bundle...>', 'bundle.json files written by `crashtest analyze --evidence DIR`')
    .option('--json', 'one JSON result per line')
    .action(async (bundles: string[], options: { json?: boolean }) => {
      let failed = 0;
      for (const path of bundles) {
        const result = await verifyBundle(path);
        if (!result.reproduced) failed++;
        if (options.json) {
          process.stdout.write(JSON.stringify({ bundle: path, reproduced: result.reproduced, expected_level: result.expectedLevel, level: result.level, missing_evidence: result.missingKinds }) + '\n');
        } else {
          const verdict = result.reproduced ? 'reproduced' : 'NOT reproduced';
          const detail = result.missingKinds.length > 0 ? `, missing evidence: ${result.missingKinds.join(', ')}` : '';
          process.stdout.write(`${path}: ${verdict} (${result.bundle.profile}: expected ${result.expectedLevel}, got ${result.level ?? 'nothing'}${detail})\n`);
        }
      }
      setExitCode(failed > 0 ? EXIT_INPUT_FAILED : EXIT_OK);
    });
}
