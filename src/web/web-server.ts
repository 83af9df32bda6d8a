import { Counters, CrashtestError } from '../core/index.ts';
import type { DashboardSource } from '../daemon/index.ts';
import { buildWebApp } from './web-app.ts';
import { checkTokens, DEFAULT_WEB_PORT, type WebServerOptions } from './web-options.ts';

export interface WebServer {
  /** http://host:port/ as it listens (the real port when 0 was asked for) */
  readonly url: string;
  readonly closed: boolean;
  /** ends every event stream, stops listening and waits for requests in flight; idempotent */
  close(): Promise<void>;
}

/**
 * Serves the dashboard page, the HTTP API and /metrics over a source (the live sensor or an
 * offline analyze run). Listens on 127.0.0.1:8470 unless told otherwise.
 */
export async function startWebServer(source: DashboardSource, options: WebServerOptions, counters = new Counters()): Promise<WebServer> {
  checkTokens(options.tokens);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_WEB_PORT;
  const { fastify } = buildWebApp(source, options, counters);
  try {
    await fastify.listen({ host, port });
  } catch (error) {
    await fastify.close().catch(() => {});
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CrashtestError('CT_ERR_WEB_LISTEN', `could not listen on ${host}:${port}: ${reason}`, { host, port }, { cause: error });
  }
  const address = fastify.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}/`;
  let closing: Promise<void> | null = null;
  return {
    url,
    get closed() {
      return closing !== null;
    },
    close() {
      closing ??= fastify.close();
      return closing;
    },
  };
}
