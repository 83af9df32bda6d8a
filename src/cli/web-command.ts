/**
 * `crashtest web FILE...`: analyse capture files, then serve the dashboard over the result until
 * interrupted (no live capture, no root). Tokens come from the config's `web` section; when it has
 * none, a one-off admin token is made and printed inside the link, for the user who ran the command.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultConfig, loadConfigFile } from '../config/index.ts';
import { OfflineDashboardSource } from '../daemon/index.ts';
import { startWebServer, webServerOptionsFromConfig } from '../web/index.ts';
import { EXIT_OK, EXIT_USAGE } from './sessions-command.ts';

interface WebOptions {
  config?: string;
  evidence?: string;
  listen?: string;
  port?: string;
}

export function addWebCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('web')
    .description('analyse capture files and serve the dashboard and API over the result until interrupted')
    .argument('<file...>', 'pcap or pcapng files')
    .option('--config <file>', 'configuration: web tokens and address, journal and response stage (dry run)')
    .option('--evidence <dir>', 'keep the evidence folders here (default: a temporary folder removed on exit)')
    .option('--listen <address>', 'address to listen on (default web.listenAddress, 127.0.0.1)')
    .option('--port <port>', 'TCP port (default web.port, 8470; 0 picks a free one)')
    .action(async (files: string[], options: WebOptions) => {
      setExitCode(await runWeb(files, options));
    });
}

async function runWeb(files: string[], options: WebOptions): Promise<number> {
  for (const file of files) {
    try {
      accessSync(file, constants.R_OK);
    } catch {
      process.stderr.write(`crashtest: cannot read ${file}\n`);
      return EXIT_USAGE;
    }
  }
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    process.stderr.write(`crashtest: --port expects 0-65535, found '${options.port}'\n`);
    return EXIT_USAGE;
  }
  const config = options.config === undefined ? undefined : loadConfigFile(options.config);
  const evidenceDir = options.evidence ?? mkdtempSync(join(tmpdir(), 'crashtest-web-evidence-'));
  const source = await OfflineDashboardSource.fromCaptures(files, { evidenceDir, ...(config ? { config } : {}) });
  try {
    const webOptions = webServerOptionsFromConfig((config ?? defaultConfig()).web);
    let oneOffToken: string | null = null;
    if (webOptions.tokens.length === 0) {
      oneOffToken = randomBytes(24).toString('base64url');
      webOptions.tokens = [{ name: 'web:admin', role: 'admin', token: oneOffToken }];
    }
    const server = await startWebServer(source, {
      ...webOptions,
      ...(options.listen !== undefined ? { host: options.listen } : {}),
      ...(port !== undefined ? { port } : {}),
    });
    const verdicts = source.recentEvents(Number.MAX_SAFE_INTEGER).filter((event) => event.event_type === 'verdict').length;
    process.stdout.write(`${verdicts} verdict(s) from ${files.length} file(s)\n`);
    process.stdout.write(
      oneOffToken === null ? `dashboard: ${server.url} (sign in with web.adminToken or web.readOnlyToken)\n` : `dashboard: ${server.url}#token=${oneOffToken}\n`,
    );
    process.stdout.write('Ctrl-C stops it\n');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    return EXIT_OK;
  } finally {
    await source.close();
    if (options.evidence === undefined) rmSync(evidenceDir, { recursive: true, force: true });
  }
}
