import type { WebConfig } from '../config/index.ts';
import { CrashtestError } from '../core/index.ts';

/** What a bearer token may do: `read` sees everything, `admin` also approves and undoes actions. */
export type WebRole = 'read' | 'admin';

export interface WebToken {
  /** who the token stands for; recorded as the actor of approvals and undos (`web:admin`) */
  name: string;
  role: WebRole;
  token: string;
  /** the config key the token came from, for error messages */
  key?: string;
}

export interface WebServerOptions {
  /** default 127.0.0.1: the dashboard is local unless someone decides otherwise */
  host?: string;
  /** default 8470; 0 picks a free port */
  port?: number;
  /** an empty list locks the whole API (every request but the page gets 401) */
  tokens: readonly WebToken[];
  /** serve /metrics without a token (Prometheus can send one: `authorization: { credentials_file }`); default false */
  publicMetrics?: boolean;
  /** events sent on /api/events when no `limit` is given (100), and the most any request gets (1000) */
  defaultEventLimit?: number;
  maxEventLimit?: number;
  /** comment line sent on idle event streams so proxies keep them open (15 s) */
  streamHeartbeatMs?: number;
  /** a stream client that falls this far behind is disconnected and counted (1 MiB) */
  streamMaxBufferedBytes?: number;
  /** fastify's request log; off by default (the daemon logs through its own outputs) */
  logRequests?: boolean;
}

export const DEFAULT_WEB_PORT = 8470;
/** shorter tokens are guessable over a fast loopback */
export const MIN_TOKEN_LENGTH = 16;

/** The tokens of the config's `web` section: the admin token acts as `web:admin`, the read-only one as `web:read`. */
export function webServerOptionsFromConfig(web: Pick<WebConfig, 'listenAddress' | 'port' | 'adminToken' | 'readOnlyToken'>): WebServerOptions {
  const tokens: WebToken[] = [];
  if (web.adminToken !== '') tokens.push({ name: 'web:admin', role: 'admin', token: web.adminToken, key: 'web.adminToken' });
  if (web.readOnlyToken !== '') tokens.push({ name: 'web:read', role: 'read', token: web.readOnlyToken, key: 'web.readOnlyToken' });
  return { host: web.listenAddress, port: web.port, tokens };
}

/** Refuses short, repeated or nameless tokens before anything listens. */
export function checkTokens(tokens: readonly WebToken[]): void {
  const seenTokens = new Set<string>();
  const seenNames = new Set<string>();
  for (const [index, entry] of tokens.entries()) {
    const key = entry.key ?? `tokens[${index}]`;
    if (entry.role !== 'read' && entry.role !== 'admin') {
      throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${key}: role must be 'read' or 'admin', found '${String(entry.role)}'`, { key });
    }
    if (entry.name.trim() === '') throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${key}: the token needs a name (it is recorded as the actor)`, { key });
    if (entry.token.length < MIN_TOKEN_LENGTH) {
      throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${key}: a bearer token needs at least ${MIN_TOKEN_LENGTH} characters, found ${entry.token.length}`, { key });
    }
    if (/\s/.test(entry.token)) throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${key}: a bearer token cannot contain white space`, { key });
    if (seenTokens.has(entry.token)) throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${key}: the same token is given twice (each role needs its own)`, { key });
    if (seenNames.has(entry.name)) throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${key}: token name '${entry.name}' is used twice`, { key });
    seenTokens.add(entry.token);
    seenNames.add(entry.name);
  }
}
