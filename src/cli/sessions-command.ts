import { basename } from 'node:path';
import type { Command } from 'commander';
import { defaultConfig, loadConfigFile, type FrozenConfig } from '../config/index.ts';
import { isCrashtestError } from '../core/index.ts';
import { runSessionsJob, SessionExporter } from '../daemon/index.ts';
import { sessionToJson } from './session-json.ts';
import { SessionTable } from './session-table.ts';

interface SessionsOptions {
  json?: boolean;
  export?: string;
  stats?: boolean;
  config?: string;
}

/** Exit codes of every command: 0 all went well, 1 some input failed, 2 usage. */
export const EXIT_OK = 0;
export const EXIT_INPUT_FAILED = 1;
export const EXIT_USAGE = 2;

export function addSessionsCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('sessions')
    .description('read capture files and print their reassembled TCP and UDP sessions')
    .argument('<file...>', 'pcap or pcapng files; each is read on its own (no session spans two files)')
    .option('--json', 'one JSON object per line per session instead of a table')
    .option('--export <dir>', "write each TCP session's two reassembled streams to files under DIR")
    .option('--stats', 'print the pipeline counters on stderr (always on for the table)')
    .option('--config <file>', 'a JSON configuration file (decode and flow limits)')
    .action(async (files: string[], options: SessionsOptions) => {
      setExitCode(await runSessions(files, options));
    });
}

async function runSessions(files: string[], options: SessionsOptions): Promise<number> {
  const config = options.config === undefined ? defaultConfig() : loadConfigFile(options.config);
  const exporter = options.export === undefined ? null : new SessionExporter(options.export);
  const table = options.json ? null : new SessionTable(files.length > 1);
  const out = new LineWriter();
  // a reader that goes away (`| head`) ends the run quietly instead of crashing on EPIPE
  const closedPipe = new AbortController();
  const onOutputError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE') throw error;
    closedPipe.abort(error);
  };
  process.stdout.on('error', onOutputError);
  try {
    return await printSessions(files, options, config, exporter, table, out, closedPipe.signal);
  } catch (error) {
    if (closedPipe.signal.aborted) return EXIT_OK;
    throw error;
  } finally {
    process.stdout.off('error', onOutputError);
  }
}

async function printSessions(
  files: string[],
  options: SessionsOptions,
  config: FrozenConfig,
  exporter: SessionExporter | null,
  table: SessionTable | null,
  out: LineWriter,
  signal: AbortSignal,
): Promise<number> {
  const result = await runSessionsJob(files, {
    config,
    signal,
    // every use below is synchronous (rows keep only numbers and text; the export writes at once)
    turnLifetime: 'callback',
    onSession: (session, source) => {
      exporter?.export(session, source.file);
      if (table !== null) table.add(session, basename(source.file));
      else out.write(JSON.stringify(sessionToJson(session, source.file)) + '\n');
    },
    onFileDone: (file) => {
      // reported as soon as the file stops, so it lands next to that file's sessions
      if (file.error !== null) process.stderr.write(`crashtest: ${describeError(file.error)}\n`);
    },
  });
  if (table !== null) out.write(table.render());
  await out.end();
  if (table !== null || options.stats) {
    const counters = Object.entries(result.counters).filter(([, value]) => value !== 0);
    const summary = counters.map(([name, value]) => `  ${name} ${value}`).join('\n');
    const sessions = result.files.reduce((sum, file) => sum + file.sessions, 0);
    process.stderr.write(`${files.length} file(s), ${result.failed} failed, ${sessions} session(s)\n${summary}\n`);
  }
  return result.failed > 0 ? EXIT_INPUT_FAILED : EXIT_OK;
}

export function describeError(error: Error): string {
  return isCrashtestError(error) ? `${error.message} [${error.code}]` : `internal error: ${error.stack ?? error.message}`;
}

/**
 * Batches output into 64 KiB writes. The pipeline is synchronous per chunk of the capture, so it
 * cannot wait for a slow reader: node buffers what the pipe has not taken yet, and the buffer drains
 * while the capture reader waits for the disk. `end()` waits until everything is out.
 */
class LineWriter {
  private pending: string[] = [];
  private pendingLength = 0;

  write(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= 64 * 1024) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    process.stdout.write(this.pending.join(''));
    this.pending = [];
    this.pendingLength = 0;
  }

  async end(): Promise<void> {
    this.flush();
    if (process.stdout.destroyed) return;
    // wait until stdout has taken everything (or is gone), so the exit code is not set before the output is out
    const stdout = process.stdout;
    await new Promise<void>((resolve) => {
      if (stdout.destroyed || stdout.write('')) return resolve();
      const done = (): void => {
        stdout.off('drain', done).off('close', done).off('error', done);
        resolve();
      };
      stdout.once('drain', done).once('close', done).once('error', done);
    });
  }
}
