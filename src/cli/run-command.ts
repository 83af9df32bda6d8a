/**
 * `crashtest run --config FILE`: the live sensor until SIGINT/SIGTERM (graceful: drain, revert
 * every dummy, flush the journal) with SIGHUP reloading the config (what needs a restart is logged).
 * A second SIGINT/SIGTERM during shutdown aborts at once.
 */
import type { Command } from 'commander';
import { loadConfigFile } from '../config/index.ts';
import { Sensor, type CrashtestEvent } from '../daemon/index.ts';
import { startWebServer, webServerOptionsFromConfig, type WebServer } from '../web/index.ts';
import { EXIT_OK } from './sessions-command.ts';

export function addRunCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('run')
    .description('run the live sensor on the interfaces of the config (needs root or CAP_NET_RAW for tcpdump)')
    .requiredOption('--config <file>', 'YAML or JSON configuration (crashtest config check FILE validates it)')
    .option('--json', 'also print every event as a JSON line on stdout (as outputs.stdout)')
    .action(async (options: { config: string; json?: boolean }) => {
      setExitCode(await runSensor(options.config, options.json === true));
    });
}

export async function runSensor(configFile: string, json: boolean): Promise<number> {
  const config = loadConfigFile(configFile);
  const print = json || config.outputs.stdout;
  const sensor = await Sensor.start(config, {
    ...(print ? { onEvent: (event: CrashtestEvent) => void process.stdout.write(`${JSON.stringify(event)}\n`) } : {}),
  });
  // the dashboard and API read the sensor itself; without an admin token nothing changes over HTTP
  let web: WebServer | null = null;
  if (config.web.enabled) {
    web = await startWebServer(sensor, webServerOptionsFromConfig(config.web));
    process.stderr.write(`crashtest: dashboard at ${web.url}\n`);
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`crashtest: ${signal} again: aborting\n`);
        sensor.destroy();
        return;
      }
      stopping = true;
      process.stderr.write(`crashtest: ${signal}: draining (send it again to abort)\n`);
      void Promise.resolve(web?.close())
        .then(() => sensor.close())
        .then(resolve, (error: unknown) => {
          process.stderr.write(`crashtest: shutdown failed: ${(error as Error).message}\n`);
          resolve();
        });
    };
    const reload = (): void => {
      try {
        void sensor.reload(loadConfigFile(configFile)).catch((error: unknown) => process.stderr.write(`crashtest: reload failed: ${(error as Error).message}\n`));
      } catch (error) {
        // a broken file on SIGHUP keeps the running config: the operator fixes it and sends SIGHUP again
        process.stderr.write(`crashtest: reload refused, keeping the running config: ${(error as Error).message}\n`);
      }
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', reload);
  });
  return EXIT_OK;
}
