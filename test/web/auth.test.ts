import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { buildWebApp, startWebServer, webServerOptionsFromConfig } from '../../src/web/index.ts';
import { ADMIN_TOKEN, FakeDashboardSource, READ_TOKEN, TEST_TOKENS } from './fake-dashboard-source.ts';

const READS = ['/api/whoami', '/api/events', '/api/farm', '/api/series', '/api/actions', '/api/verdicts/7/winxp-sp1', '/api/verdicts/7/winxp-sp1/evidence/trace.txt', '/metrics'];
const CHANGES = ['/api/actions/3/approve', '/api/actions/3/undo'];

function setUp(options: { publicMetrics?: boolean } = {}) {
  const source = new FakeDashboardSource();
  source.pushVerdict(7, 'winxp-sp1', { ruleId: 3 });
  const app = buildWebApp(source, { tokens: TEST_TOKENS, ...options });
  after(() => app.fastify.close());
  return { source, fastify: app.fastify };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('web API authentication', () => {
  test('no token: every read and every change is refused with 401 CT_ERR_API_UNAUTHORIZED and a Bearer challenge', async () => {
    const { fastify } = setUp();
    for (const url of [...READS, ...CHANGES]) {
      const method = CHANGES.includes(url) ? 'POST' : 'GET';
      const response = await fastify.inject({ method, url });
      assert.equal(response.statusCode, 401, `${method} ${url}`);
      assert.equal(response.json().code, 'CT_ERR_API_UNAUTHORIZED', url);
      assert.match(response.headers['www-authenticate'] as string, /^Bearer realm="crashtest"/);
    }
  });

  test('wrong token, wrong scheme, or an empty bearer: 401', async () => {
    const { fastify, source } = setUp();
    const headers = [
      bearer('not-a-token-the-server-knows'),
      bearer(`${ADMIN_TOKEN}x`),
      bearer(ADMIN_TOKEN.slice(0, -1)),
      { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
      { authorization: ADMIN_TOKEN },
      { authorization: 'Bearer ' },
    ];
    for (const header of headers) {
      const read = await fastify.inject({ method: 'GET', url: '/api/events', headers: header });
      assert.equal(read.statusCode, 401, header.authorization);
      assert.equal(read.json().code, 'CT_ERR_API_UNAUTHORIZED');
      const change = await fastify.inject({ method: 'POST', url: '/api/actions/3/approve', headers: header });
      assert.equal(change.statusCode, 401, header.authorization);
    }
    assert.equal(source.rules.get(3)!.state, 'requested');
  });

  test('a read-only token reads everything but gets 403 CT_ERR_API_FORBIDDEN on approve and undo, and nothing changes', async () => {
    const { fastify, source } = setUp();
    for (const url of READS) {
      const response = await fastify.inject({ method: 'GET', url, headers: bearer(READ_TOKEN) });
      assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
    }
    for (const url of CHANGES) {
      const response = await fastify.inject({ method: 'POST', url, headers: bearer(READ_TOKEN) });
      assert.equal(response.statusCode, 403, url);
      const body = response.json();
      assert.equal(body.code, 'CT_ERR_API_FORBIDDEN');
      assert.match(body.message, /read-only.*admin token/);
    }
    assert.equal(source.rules.get(3)!.state, 'requested');
    assert.equal(source.rules.get(3)!.approvedBy, null);
  });

  test('an admin token approves (recorded under the token name) and undoes', async () => {
    const { fastify, source } = setUp();
    const whoami = await fastify.inject({ method: 'GET', url: '/api/whoami', headers: bearer(ADMIN_TOKEN) });
    assert.deepEqual(whoami.json(), { name: 'web:admin', role: 'admin' });
    const approved = await fastify.inject({ method: 'POST', url: '/api/actions/3/approve', headers: bearer(ADMIN_TOKEN) });
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().state, 'applied');
    assert.equal(approved.json().approvedBy, 'web:admin');
    assert.equal(source.rules.get(3)!.state, 'applied');
    const undone = await fastify.inject({ method: 'POST', url: '/api/actions/3/undo', headers: bearer(ADMIN_TOKEN) });
    assert.equal(undone.statusCode, 200, undone.body);
    assert.equal(undone.json().state, 'rolled_back');
  });

  test('the page and its two files are public (they hold no data); /metrics is public only when asked', async () => {
    const { fastify } = setUp();
    for (const url of ['/', '/app.js', '/style.css']) {
      const response = await fastify.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, url);
      assert.match(response.headers['content-security-policy'] as string, /script-src 'self'/);
    }
    assert.equal((await fastify.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    const open = setUp({ publicMetrics: true });
    const metrics = await open.fastify.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
    assert.match(metrics.body, /^crashtest_flow_sessions 42$/m);
  });

  test('an unknown path without a token is 401, not a map of what exists', async () => {
    const { fastify } = setUp();
    assert.equal((await fastify.inject({ method: 'GET', url: '/api/nothing' })).statusCode, 401);
  });
});

describe('web server tokens and binding', () => {
  test('short, repeated or blank tokens stop start-up with CT_ERR_CONFIG_INVALID naming the key', async () => {
    const source = new FakeDashboardSource();
    await assert.rejects(startWebServer(source, { port: 0, tokens: [{ name: 'a', role: 'admin', token: 'short', key: 'web.adminToken' }] }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'CT_ERR_CONFIG_INVALID');
      assert.match(error.message, /^web\.adminToken: .*at least 16/);
      return true;
    });
    await assert.rejects(
      startWebServer(source, { port: 0, ...webServerOptionsFromConfig({ listenAddress: '127.0.0.1', port: 0, adminToken: ADMIN_TOKEN, readOnlyToken: ADMIN_TOKEN }) }),
      /web\.readOnlyToken: the same token is given twice/,
    );
  });

  test('config tokens map to web:admin and web:read; empty ones are left out', () => {
    const options = webServerOptionsFromConfig({ listenAddress: '127.0.0.1', port: 8470, adminToken: ADMIN_TOKEN, readOnlyToken: '' });
    assert.deepEqual(
      options.tokens.map((token) => [token.name, token.role]),
      [['web:admin', 'admin']],
    );
  });

  test('listens on 127.0.0.1 by default; a taken port is CT_ERR_WEB_LISTEN', async () => {
    const source = new FakeDashboardSource();
    const server = await startWebServer(source, { port: 0, tokens: TEST_TOKENS });
    try {
      const url = new URL(server.url);
      assert.equal(url.hostname, '127.0.0.1');
      const response = await fetch(new URL('/api/whoami', url), { headers: bearer(READ_TOKEN) });
      assert.deepEqual(await response.json(), { name: 'web:read', role: 'read' });
      await assert.rejects(startWebServer(source, { port: Number(url.port), tokens: TEST_TOKENS }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CT_ERR_WEB_LISTEN');
        assert.match(error.message, /EADDRINUSE/);
        return true;
      });
    } finally {
      await server.close();
      await server.close();
    }
    assert.equal(server.closed, true);
  });
});
