import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Counters, CrashtestError } from '../../core/index.ts';
import type { CrashtestEvent } from '../crashtest-event.ts';
import { formatEventLine } from '../format-event-line.ts';
import type { EventOutput } from './event-output.ts';

/**
 * Appends one EVE-style JSON line per event. Rotation-safe: `reopen()` (on SIGHUP, after logrotate
 * renamed the file) opens the path again, so new lines go to the new file. Writes are synchronous
 * appends (O_APPEND): a line is never split between two files and never interleaved with another.
 */
export class JsonlFileOutput implements EventOutput {
  readonly name = 'jsonl';
  private fd: number;
  private isClosed = false;

  constructor(
    private readonly path: string,
    private readonly counters: Counters = new Counters(),
  ) {
    this.fd = JsonlFileOutput.open(path);
  }

  private static open(path: string): number {
    try {
      mkdirSync(dirname(path), { recursive: true });
      return openSync(path, 'a', 0o640);
    } catch (error) {
      throw new CrashtestError('CT_ERR_OUTPUT', `cannot open event file ${path}: ${(error as Error).message}`, { file: path }, { cause: error });
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  write(event: CrashtestEvent): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', 'jsonl output used after close()');
    try {
      writeSync(this.fd, formatEventLine(event));
      this.counters.add('outputs.jsonl.written');
    } catch {
      // a full disk must not stop detection: count it, the other outputs still carry the event
      this.counters.add('outputs.jsonl.dropped');
    }
  }

  async reopen(): Promise<void> {
    if (this.isClosed) return;
    const next = JsonlFileOutput.open(this.path);
    const previous = this.fd;
    this.fd = next;
    closeSync(previous);
    this.counters.add('outputs.jsonl.reopened');
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    closeSync(this.fd);
  }
}
