import type { ServerResponse } from 'node:http';
import type { DashboardSource } from '../daemon/index.ts';

type DashboardEvent = ReturnType<DashboardSource['recentEvents']>[number];

export interface EventStreamOptions {
  heartbeatMs: number;
  maxBufferedBytes: number;
  /** called when a client is cut off for falling behind */
  onOverflow?: () => void;
}

/**
 * Server-Sent Events of the source's live events. Each client subscribes first and is then sent the
 * recent events it asked for, so nothing that happens in between is lost (an event may arrive twice;
 * the page drops repeats). A client that stops reading is disconnected once its unsent bytes pass the
 * limit, instead of growing the daemon's memory without bound.
 */
export class EventStreamHub {
  private readonly clients = new Set<StreamClient>();
  private closed = false;

  constructor(
    private readonly source: DashboardSource,
    private readonly options: EventStreamOptions,
  ) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** Takes over the response; `headers` are the ones fastify's hooks would have added. */
  open(response: ServerResponse, recent: number, headers: Record<string, string>): void {
    response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    if (this.closed) {
      response.end();
      return;
    }
    const client = new StreamClient(response, this.options, () => this.drop(client));
    this.clients.add(client);
    client.unsubscribe = this.source.subscribe((event) => client.send(event));
    response.write('retry: 3000\n\n');
    if (recent > 0) for (const event of this.source.recentEvents(recent)) client.send(event);
    response.on('close', () => this.drop(client));
  }

  /** Ends every stream (server shutdown); idempotent. */
  close(): void {
    this.closed = true;
    for (const client of [...this.clients]) this.drop(client);
  }

  private drop(client: StreamClient): void {
    if (!this.clients.delete(client)) return;
    client.end();
  }
}

class StreamClient {
  unsubscribe: () => void = () => {};
  private nextId = 1;
  private readonly heartbeat: NodeJS.Timeout;
  private ended = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly options: EventStreamOptions,
    private readonly onDrop: () => void,
  ) {
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), options.heartbeatMs);
    this.heartbeat.unref();
  }

  send(event: DashboardEvent): void {
    this.write(`id: ${this.nextId++}\ndata: ${JSON.stringify(event)}\n\n`);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    this.unsubscribe();
    if (!this.response.writableEnded) this.response.end();
  }

  private write(text: string): void {
    if (this.ended || this.response.writableEnded || this.response.destroyed) return;
    if (this.response.writableLength > this.options.maxBufferedBytes) {
      this.options.onOverflow?.();
      this.onDrop();
      return;
    }
    this.response.write(text);
  }
}
