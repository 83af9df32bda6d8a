import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { renderMetrics } from '../../src/daemon/index.ts';
import { FakeVictimDriver } from '../../src/drivers/victims/fake/fake-victim-driver.ts';
import { defaultCatalogue, VictimPool } from '../../src/sandbox/index.ts';
import { buildWebApp, startWebServer } from '../../src/web/index.ts';
import { blockDwells } from '../sandbox/blocking-dwell.ts';
import { ADMIN_TOKEN, FakeDashboardSource, READ_TOKEN, TEST_TOKENS, verdictFixture } from './fake-dashboard-source.ts';

const read = { authorization: `Bearer ${READ_TOKEN}` };
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

function setUp() {
  const source = new FakeDashboardSource();
  source.pushVerdict(7, 'winxp-sp1', { ruleId: 3 });
  const { fastify } = buildWebApp(source, { tokens: TEST_TOKENS });
  after(() => fastify.close());
  return { source, fastify };
}

describe('web API reads', () => {
  test('GET /api/events returns recent events, newest last, with limit and type filters', async () => {
    const { fastify, source } = setUp();
    source.pushVerdict(8);
    source.pushVerdict(9);
    const all = (await fastify.inject({ url: '/api/events', headers: read })).json();
    assert.deepEqual(
      all.events.map((event: { event_type: string; flow_id: number }) => `${event.event_type} ${event.flow_id}`),
      ['verdict 7', 'response 7', 'verdict 8', 'verdict 9'],
    );
    const last = (await fastify.inject({ url: '/api/events?limit=1', headers: read })).json();
    assert.deepEqual(
      last.events.map((event: { flow_id: number }) => event.flow_id),
      [9],
    );
    const responses = (await fastify.inject({ url: '/api/events?type=response', headers: read })).json();
    assert.deepEqual(
      responses.events.map((event: { rule_id: number; state: string }) => [event.rule_id, event.state]),
      [[3, 'requested']],
    );
  });

  test('the verdict detail names evidence files by download URL, never by their path on disk', async () => {
    const { fastify, source } = setUp();
    const response = await fastify.inject({ url: '/api/verdicts/7/winxp-sp1', headers: read });
    assert.equal(response.statusCode, 200);
    const detail = response.json();
    assert.equal(detail.event.vulnerability, 'MS08-067');
    assert.equal(detail.transcript.length, 2);
    assert.deepEqual(detail.attribution, { host: '192.0.2.66', mac: '02:00:5e:10:00:42', switchName: 'access-sw1', port: 'Gi1/0/7', basis: 'session' });
    assert.deepEqual(detail.evidenceFiles[0], { name: 'session.pcap', size: 24, url: '/api/verdicts/7/winxp-sp1/evidence/session.pcap' });
    assert.ok(!response.body.includes(source.evidenceDir), 'no server path in the detail');
  });

  test('evidence files download with their bytes; names the detail does not list are 404', async () => {
    const { fastify, source } = setUp();
    const pcap = await fastify.inject({ url: '/api/verdicts/7/winxp-sp1/evidence/session.pcap', headers: read });
    assert.equal(pcap.statusCode, 200);
    assert.equal(pcap.headers['content-type'], 'application/vnd.tcpdump.pcap');
    assert.equal(pcap.headers['content-disposition'], 'attachment; filename="flow-7-winxp-sp1-session.pcap"');
    assert.deepEqual(pcap.rawPayload, readFileSync(source.details.get('7/winxp-sp1')!.evidenceFiles[0]!.path));
    for (const name of ['bundle.json', '..%2F..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd']) {
      const response = await fastify.inject({ url: `/api/verdicts/7/winxp-sp1/evidence/${name}`, headers: read });
      assert.equal(response.statusCode, 404, name);
      assert.equal(response.json().code, 'CT_ERR_API_NOT_FOUND');
    }
  });

  test('farm, series, actions and metrics come from the source as they are', async () => {
    const { fastify, source } = setUp();
    assert.deepEqual((await fastify.inject({ url: '/api/farm', headers: read })).json(), source.farmSnapshot);
    assert.equal((await fastify.inject({ url: '/api/series', headers: read })).json().points.length, 30);
    assert.deepEqual(
      (await fastify.inject({ url: '/api/actions', headers: read })).json().actions.map((rule: { id: number }) => rule.id),
      [3],
    );
    const actions = async () => (await fastify.inject({ url: '/api/actions', headers: read })).json().actions.map((rule: { id: number; state: string }) => `${rule.id} ${rule.state}`);
    await source.approve(3, 'web:admin');
    assert.deepEqual(await actions(), ['3 applied'], 'an applied action is listed, to be undone');
    await source.undo(3, 'web:admin');
    assert.deepEqual(await actions(), [], 'a rolled-back one is not');
    const metrics = await fastify.inject({ url: '/metrics', headers: read });
    assert.equal(metrics.body, source.metricsText);
    assert.equal(metrics.headers['cache-control'], 'no-store');
  });
});

describe('the farm view of a real pool', () => {
  test('a dummy in its dwell window is dwelling, not leased, in /api/farm and /metrics', async () => {
    const { fastify, source } = setUp();
    const driver = new FakeVictimDriver({ ports: { 445: { kind: 'echo' } } });
    const pool = new VictimPool({ driver, settings: { warmPerProfile: 0, maxVictims: 4, dwellMs: 0 } });
    after(() => pool.close());
    source.farm = () => pool.snapshot();
    source.metrics = () => renderMetrics({ counters: pool.counters, pool: pool.snapshot() });
    const profile = defaultCatalogue().get('win-xp-sp2');
    const dwell = blockDwells(driver);
    const lease = pool.withVictim(profile, { dwellMs: 60_000 }, async (victim) => victim.id);
    await dwell.entered;
    const farm = (await fastify.inject({ url: '/api/farm', headers: read })).json();
    assert.deepEqual(farm.profiles, [{ profileId: 'win-xp-sp2', creating: 0, warm: 0, leased: 0, dwelling: 1, reverting: 0, closing: 0 }]);
    assert.equal(farm.leasesActive, 1);
    const metrics = (await fastify.inject({ url: '/metrics', headers: read })).body;
    assert.match(metrics, /^crashtest_pool_dummies\{profile="win-xp-sp2",state="dwelling"\} 1$/m);
    assert.match(metrics, /^crashtest_pool_dummies\{profile="win-xp-sp2",state="leased"\} 0$/m);
    dwell.release();
    await lease;
    const settled = (await fastify.inject({ url: '/api/farm', headers: read })).json();
    assert.deepEqual([settled.profiles[0].dwelling, settled.profiles[0].warm], [0, 1]);
  });
});

describe('web API errors carry our codes', () => {
  const cases: [string, string, Record<string, string>, number, string][] = [
    ['GET', '/api/verdicts/99/winxp-sp1', read, 404, 'CT_ERR_VERDICT_NOT_FOUND'],
    ['GET', '/api/verdicts/abc/winxp-sp1', read, 400, 'CT_ERR_INVALID_ARGUMENT'],
    ['GET', '/api/events?limit=0', read, 400, 'CT_ERR_INVALID_ARGUMENT'],
    ['GET', '/api/events?type=nonsense', read, 400, 'CT_ERR_INVALID_ARGUMENT'],
    ['GET', '/api/nothing-here', read, 404, 'CT_ERR_API_NOT_FOUND'],
    ['POST', '/api/actions/99/approve', admin, 404, 'CT_ERR_RULE_NOT_FOUND'],
    ['POST', '/api/actions/x/approve', admin, 400, 'CT_ERR_INVALID_ARGUMENT'],
  ];
  for (const [method, url, headers, status, code] of cases) {
    test(`${method} ${url} → ${status} ${code}`, async () => {
      const { fastify } = setUp();
      const response = await fastify.inject({ method: method as 'GET' | 'POST', url, headers });
      assert.equal(response.statusCode, status, response.body);
      const body = response.json();
      assert.equal(body.code, code);
      assert.equal(body.statusCode, status);
      assert.equal(typeof body.message, 'string');
    });
  }

  test('approving twice is 409 CT_ERR_INVALID_STATE, with the rule id in the details', async () => {
    const { fastify } = setUp();
    assert.equal((await fastify.inject({ method: 'POST', url: '/api/actions/3/approve', headers: admin })).statusCode, 200);
    const again = await fastify.inject({ method: 'POST', url: '/api/actions/3/approve', headers: admin });
    assert.equal(again.statusCode, 409);
    assert.deepEqual(again.json(), {
      statusCode: 409,
      code: 'CT_ERR_INVALID_STATE',
      message: 'rule 3 is applied; only a requested rule can be approved',
      details: { ruleId: 3 },
    });
  });

  test('an unexpected failure is 500 CT_ERR_API_INTERNAL and does not leak its message', async () => {
    const { fastify, source } = setUp();
    source.farm = () => {
      throw new TypeError('secret internals at /opt/crashtest');
    };
    const response = await fastify.inject({ url: '/api/farm', headers: read });
    assert.equal(response.statusCode, 500);
    assert.equal(response.json().code, 'CT_ERR_API_INTERNAL');
    assert.ok(!response.body.includes('secret'));
  });
});

describe('web API live event stream', () => {
  test('GET /api/events/stream sends the recent events, then each new one as it happens; close() ends it', async () => {
    const source = new FakeDashboardSource();
    source.pushVerdict(7);
    const server = await startWebServer(source, { port: 0, tokens: TEST_TOKENS });
    let closed = false;
    after(async () => {
      if (!closed) await server.close();
    });
    const response = await fetch(new URL('/api/events/stream?recent=10', server.url), { headers: read });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.match(response.headers.get('content-security-policy')!, /default-src 'none'/);
    const events = readEvents(response.body!);
    const first = await events.next();
    assert.equal(first.value.flow_id, 7);
    source.pushVerdict(8);
    const second = await events.next();
    assert.equal(second.value.flow_id, 8);
    assert.equal(second.value.event_type, 'verdict');
    assert.equal(source.listenerCount, 1);
    await server.close();
    closed = true;
    assert.equal((await events.next()).done, true, 'the stream ends when the server closes');
    assert.equal(source.listenerCount, 0, 'the stream unsubscribed');
  });

  test('the stream needs a token like every other read', async () => {
    const { fastify } = setUp();
    const response = await fastify.inject({ url: '/api/events/stream' });
    assert.equal(response.statusCode, 401);
  });

  test('a client that stops reading is cut off once it falls behind, and unsubscribed', async () => {
    const source = new FakeDashboardSource();
    const server = await startWebServer(source, { port: 0, tokens: TEST_TOKENS, streamMaxBufferedBytes: 64 * 1024 });
    after(() => server.close());
    const response = await fetch(new URL('/api/events/stream', server.url), { headers: read });
    assert.equal(response.status, 200);
    // never read the body: the socket buffers fill and the server's write queue grows
    await waitFor(() => source.listenerCount === 1);
    for (let flowId = 1; flowId < 20_000 && source.listenerCount > 0; flowId++) {
      source.emit({ ...verdictFixture(1), flow_id: flowId });
      if (flowId % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => source.listenerCount === 0);
    await response.body?.cancel();
  });
});

async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<Record<string, unknown>> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      if (data !== '') yield JSON.parse(data);
    }
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
