import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Counters, CrashtestError } from '../core/index.ts';
import type { DashboardSource, VerdictDetail } from '../daemon/index.ts';
import { apiErrorBody } from './api-error.ts';
import { EventStreamHub } from './event-stream.ts';
import { loadPageAssets } from './page-assets.ts';
import { TokenAuthenticator, type RouteAccess, type WebIdentity } from './token-authenticator.ts';
import type { WebServerOptions } from './web-options.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** who may call the route; routes without it need a read token */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    identity: WebIdentity | null;
  }
}

/** Sent with every response, the event stream included: the page loads only its own files, in no frame. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export interface WebApp {
  readonly fastify: FastifyInstance;
  readonly streams: EventStreamHub;
}

/** The dashboard's routes over a source, not yet listening (tests call `fastify.inject`). */
export function buildWebApp(source: DashboardSource, options: WebServerOptions, counters = new Counters()): WebApp {
  const authenticator = new TokenAuthenticator(options.tokens);
  const defaultEventLimit = options.defaultEventLimit ?? 100;
  const maxEventLimit = options.maxEventLimit ?? 1000;
  const fastify = Fastify({ logger: options.logRequests ?? false, forceCloseConnections: 'idle' });
  const streams = new EventStreamHub(source, {
    heartbeatMs: options.streamHeartbeatMs ?? 15_000,
    maxBufferedBytes: options.streamMaxBufferedBytes ?? 1024 * 1024,
    onOverflow: () => counters.add('web.stream.overflow_disconnects'),
  });

  fastify.decorateRequest('identity', null);
  fastify.addHook('onRequest', async (request) => {
    counters.add('web.requests');
    const access = request.routeOptions.config.access ?? 'read';
    if (access === 'public') return;
    try {
      request.identity = authenticator.authorize(request.headers.authorization, access);
    } catch (error) {
      counters.add('web.auth_refused');
      throw error;
    }
  });
  fastify.addHook('onSend', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    if (request.url.startsWith('/api/') || request.url === '/metrics') reply.header('cache-control', 'no-store');
  });
  fastify.addHook('preClose', async () => streams.close());
  fastify.setErrorHandler(async (error, request, reply) => {
    const body = apiErrorBody(error);
    if (body.statusCode >= 500) request.log.error({ err: error }, 'web request failed');
    if (body.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="crashtest"');
    return reply.code(body.statusCode).send(body);
  });
  fastify.setNotFoundHandler(async (request) => {
    throw new CrashtestError('CT_ERR_API_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
  });

  for (const asset of loadPageAssets()) {
    fastify.get(asset.path, { config: { access: 'public' } }, async (_request, reply) => reply.type(asset.contentType).send(asset.body));
  }

  fastify.get('/api/whoami', async (request) => request.identity);

  fastify.get<{ Querystring: { limit?: number; type?: string } }>(
    '/api/events',
    { schema: { querystring: querySchema({ limit: { type: 'integer', minimum: 1, maximum: maxEventLimit }, type: { type: 'string', enum: EVENT_TYPES } }) } },
    async (request) => {
      const events = source.recentEvents(request.query.limit ?? defaultEventLimit);
      const type = request.query.type;
      return { events: type === undefined ? events : events.filter((event) => event.event_type === type) };
    },
  );

  fastify.get<{ Querystring: { recent?: number } }>(
    '/api/events/stream',
    { schema: { querystring: querySchema({ recent: { type: 'integer', minimum: 0, maximum: maxEventLimit } }) } },
    async (request, reply) => {
      reply.hijack();
      streams.open(reply.raw, request.query.recent ?? 0, SECURITY_HEADERS);
    },
  );

  const verdictParams = { flowId: { type: 'integer', minimum: 0 }, profile: { type: 'string', minLength: 1, maxLength: 200 } };
  fastify.get<{ Params: { flowId: number; profile: string } }>(
    '/api/verdicts/:flowId/:profile',
    { schema: { params: paramsSchema(verdictParams) } },
    async (request) => publicDetail(mustFindVerdict(source, request.params.flowId, request.params.profile)),
  );

  fastify.get<{ Params: { flowId: number; profile: string; name: string } }>(
    '/api/verdicts/:flowId/:profile/evidence/:name',
    { schema: { params: paramsSchema({ ...verdictParams, name: { type: 'string', minLength: 1, maxLength: 200 } }) } },
    async (request, reply) => sendEvidenceFile(mustFindVerdict(source, request.params.flowId, request.params.profile), request.params.name, reply),
  );

  fastify.get('/api/farm', async () => source.farm());
  fastify.get('/api/series', async () => ({ points: source.series() }));
  fastify.get('/api/actions', async () => ({ actions: source.activeActions() }));

  const ruleParams = { schema: { params: paramsSchema({ id: { type: 'integer', minimum: 1 } }) }, config: { access: 'admin' as const } };
  fastify.post<{ Params: { id: number } }>('/api/actions/:id/approve', ruleParams, async (request) => {
    counters.add('web.actions.approved');
    return source.approve(request.params.id, actorOf(request));
  });
  fastify.post<{ Params: { id: number } }>('/api/actions/:id/undo', ruleParams, async (request) => {
    counters.add('web.actions.undone');
    return source.undo(request.params.id, actorOf(request));
  });

  fastify.get('/metrics', { config: { access: options.publicMetrics === true ? 'public' : 'read' } }, async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(await source.metrics()),
  );

  return { fastify, streams };
}

const EVENT_TYPES = ['verdict', 'host_compromise', 'response', 'stats'];

function querySchema(properties: Record<string, object>): object {
  return { type: 'object', properties, additionalProperties: false };
}

function paramsSchema(properties: Record<string, object>): object {
  return { type: 'object', properties, required: Object.keys(properties) };
}

function actorOf(request: FastifyRequest): string {
  return request.identity!.name;
}

function mustFindVerdict(source: DashboardSource, flowId: number, profile: string): VerdictDetail {
  const detail = source.verdictDetail(flowId, profile);
  if (detail === null) {
    throw new CrashtestError('CT_ERR_VERDICT_NOT_FOUND', `no verdict for flow ${flowId} on profile '${profile}'`, { flowId, profile });
  }
  return detail;
}

/** The detail as the browser gets it: evidence files by name and download URL, never their path on disk. */
function publicDetail(detail: VerdictDetail): object {
  const base = `/api/verdicts/${detail.flowId}/${encodeURIComponent(detail.profile)}/evidence/`;
  return {
    ...detail,
    evidenceFiles: detail.evidenceFiles.map((file) => ({ name: file.name, size: file.size, url: base + encodeURIComponent(file.name) })),
  };
}

const EVIDENCE_TYPES: Record<string, string> = {
  pcap: 'application/vnd.tcpdump.pcap',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
};

async function sendEvidenceFile(detail: VerdictDetail, name: string, reply: FastifyReply): Promise<FastifyReply> {
  // only a file the detail lists can be fetched, so a crafted name cannot walk the disk
  const file = detail.evidenceFiles.find((candidate) => candidate.name === name);
  const notFound = () =>
    new CrashtestError('CT_ERR_API_NOT_FOUND', `verdict ${detail.flowId}/${detail.profile} has no evidence file '${name}'`, { flowId: detail.flowId, name });
  if (file === undefined) throw notFound();
  const info = await stat(file.path).catch(() => null);
  if (info === null || !info.isFile()) throw notFound();
  const extension = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  const download = `flow-${detail.flowId}-${detail.profile}-${name}`.replace(/[^A-Za-z0-9._-]/g, '_');
  return reply
    .type(EVIDENCE_TYPES[extension] ?? 'application/octet-stream')
    .header('content-length', info.size)
    .header('content-disposition', `attachment; filename="${download}"`)
    .send(createReadStream(file.path));
}
