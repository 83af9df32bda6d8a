/** `crashtest signatures export FILE`: learned signatures as Suricata rules. */
import type { Command } from 'commander';
import { suricataRulesFrom } from '../daemon/index.ts';
import { EXIT_OK } from './sessions-command.ts';

export function addSignaturesCommand(program: Command, setExitCode: (code: number) => void): void {
  const signatures = program.command('signatures').description('payloads proven to compromise a dummy, learned by `analyze --signatures FILE`');
  signatures
    .command('export')
    .description('print the learned signatures as Suricata rules')
    .argument('<file>', 'the signature file written by `crashtest analyze --signatures FILE`')
    .option('--home-net', 'aim the rules at $HOME_NET instead of any destination')
    .action((file: string, options: { homeNet?: boolean }) => {
      process.stdout.write(suricataRulesFrom(file, options.homeNet ? '$HOME_NET' : undefined));
      setExitCode(EXIT_OK);
    });
}
