import type { CrashtestEvent } from '../crashtest-event.ts';

/**
 * Somewhere events go (a file, syslog, a webhook). `write` never throws and never waits: an output
 * that cannot keep up queues within its bound and counts what it drops (`outputs.<name>.dropped`).
 */
export interface EventOutput {
  readonly name: string;
  write(event: CrashtestEvent): void;
  /** on SIGHUP: reopen files (logrotate moved them), reconnect sockets */
  reopen(): Promise<void>;
  /** drains what is queued (bounded by the output's timeout), then releases the resource; idempotent */
  close(): Promise<void>;
  readonly closed: boolean;
}
