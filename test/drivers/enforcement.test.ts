import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AttributionQuery } from '../../src/attribution/index.ts';
import { Counters } from '../../src/core/index.ts';
import {
  CommandEnforcer,
  signWebhook,
  SnmpPortEnforcer,
  SqliteAttributionJournal,
  SqliteResponseStore,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  WebhookEnforcer,
} from '../../src/drivers/index.ts';
import { DryRunEnforcer, Responder, type Enforcer, type Rule } from '../../src/respond/index.ts';
import { defaultSettings, sessionRow, verdict } from '../respond/fixtures.ts';
import { SNMPSIM_MISSING, startSnmpSim, switchRecords, target, type RunningAgent } from './snmp-agents.ts';

const dir = mkdtempSync(join(tmpdir(), 'crashtest-enforce-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function rule(overrides: Partial<Rule['target']> = {}): Rule {
  return {
    id: 7,
    state: 'requested',
    action: 'port_down',
    target: { switchName: 'sim-switch', port: 'Gi1/0/3', ifIndex: 10103, mac: '02:00:00:00:00:0a', ip: '10.0.0.10', captureSeconds: 1, basis: 'session', ...overrides },
    reason: { sessionId: 1, level: 'compromised', text: 'test' },
    owner: 'verdict',
    driver: 'x',
    ttlSeconds: 1,
    createdSeconds: 1,
    approvedBy: null,
    appliedSeconds: null,
    expiresSeconds: null,
    endedSeconds: null,
    detail: '',
  };
}

test('every driver declares its capabilities', () => {
  const drivers: Enforcer[] = [
    new DryRunEnforcer(),
    new SnmpPortEnforcer([]),
    new WebhookEnforcer({ url: 'http://127.0.0.1:9/', secret: 's', timeoutMs: 100 }),
    new CommandEnforcer({ path: '/bin/true', args: [], timeoutMs: 100 }),
  ];
  for (const driver of drivers) {
    assert.deepEqual(Object.keys(driver.capabilities).sort(), ['portDown', 'restore', 'touchesNetwork', 'verify'], driver.name);
    driver.close();
  }
  assert.equal(drivers[0]!.capabilities.touchesNetwork, false, 'dry run touches nothing');
  assert.equal(drivers[1]!.capabilities.verify, true, 'SNMP reads the port back');
  assert.match(drivers[1]!.accepts(rule()) ?? '', /not in attribution.switches/);
});

describe('SNMP ifAdminStatus enforcement against a simulated switch (snmpsim writecache)', { skip: SNMPSIM_MISSING }, () => {
  let sim: RunningAgent;
  before(async () => {
    sim = await startSnmpSim({ switch: switchRecords({ qbridge: true }) });
  });
  after(async () => sim?.stop());

  for (const version of ['2c', '3'] as const) {
    test(`v${version}: the port really goes down, and comes back up after the TTL`, async () => {
      const ifIndex = version === '2c' ? 10103 : 10104;
      const port = version === '2c' ? 'Gi1/0/3' : 'Gi1/0/4';
      const snmpTarget = target(sim.port, { version });
      const enforcer = new SnmpPortEnforcer([snmpTarget]);
      const observer = new SnmpPortEnforcer([snmpTarget]);
      const journal = new SqliteAttributionJournal({ path: ':memory:', retentionDays: 1, maxBytes: 1 << 30 });
      const store = new SqliteResponseStore(':memory:');
      journal.recordSessions([sessionRow(1, 0x02000000000a, port, { switchName: 'sim-switch', ifIndex })]);
      const responder = new Responder({
        settings: defaultSettings({ ruleTtlSeconds: 1, expiryCheckIntervalMs: 100 }),
        store,
        audit: store,
        enforcer,
        attribution: new AttributionQuery(journal),
        counters: new Counters(),
      });
      try {
        assert.equal(await observer.adminStatus('sim-switch', ifIndex), 1, 'up before');
        const outcome = await responder.handleVerdict(verdict(1, { srcMac: 0x02000000000a }));
        assert.equal(outcome.kind === 'rule' && outcome.rule.state, 'applied', JSON.stringify(outcome));
        assert.equal(await observer.adminStatus('sim-switch', ifIndex), 2, 'the switch says down(2)');
        responder.start();
        const deadline = Date.now() + 5_000;
        while (store.list({ states: ['expired'] }).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(store.list()[0]!.state, 'expired');
        assert.equal(await observer.adminStatus('sim-switch', ifIndex), 1, 'the switch says up(1) again');
      } finally {
        responder.close();
        observer.close();
        store.close();
        journal.close();
      }
    });
  }

  test('a port known only by name is found through ifName', async () => {
    const enforcer = new SnmpPortEnforcer([target(sim.port)]);
    try {
      assert.match(await enforcer.apply(rule({ port: 'Gi1/0/2', ifIndex: 0 })), /ifIndex 10102\) ifAdminStatus down/);
      assert.equal(await enforcer.adminStatus('sim-switch', 10102), 2);
      await enforcer.remove(rule({ port: 'Gi1/0/2', ifIndex: 0 }));
      assert.equal(await enforcer.adminStatus('sim-switch', 10102), 1);
      await assert.rejects(enforcer.apply(rule({ port: 'Gi9/9/9', ifIndex: 0 })), { code: 'CT_ERR_ENFORCEMENT' });
    } finally {
      enforcer.close();
    }
  });

  test('a switch that does not answer fails the rule with CT_ERR_SNMP', async () => {
    const enforcer = new SnmpPortEnforcer([target(1, { timeoutMs: 200, retries: 0 })]);
    try {
      await assert.rejects(enforcer.apply(rule()), { code: 'CT_ERR_SNMP' });
    } finally {
      enforcer.close();
    }
  });
});

describe('webhook enforcement', () => {
  let server: Server;
  let url = '';
  const received: { body: string; signature: string; timestamp: string }[] = [];
  let status = 200;
  before(async () => {
    server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ body, signature: String(request.headers[WEBHOOK_SIGNATURE_HEADER]), timestamp: String(request.headers[WEBHOOK_TIMESTAMP_HEADER]) });
        response.writeHead(status).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}/hook`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('posts JSON signed with HMAC-SHA256 for down and restore; a non-2xx answer fails', async () => {
    const enforcer = new WebhookEnforcer({ url, secret: 'shared-secret', timeoutMs: 2_000 });
    await enforcer.apply(rule());
    await enforcer.remove(rule());
    assert.equal(received.length, 2);
    for (const request of received) assert.equal(request.signature, signWebhook('shared-secret', request.timestamp, request.body), 'signature verifies');
    assert.notEqual(received[0]!.signature, signWebhook('other-secret', received[0]!.timestamp, received[0]!.body));
    const bodies = received.map((request) => JSON.parse(request.body) as { action: string; rule: { target: { port: string } } });
    assert.deepEqual(bodies.map((body) => body.action), ['port_down', 'port_restore']);
    assert.equal(bodies[0]!.rule.target.port, 'Gi1/0/3');
    status = 503;
    await assert.rejects(enforcer.apply(rule()), (error: Error & { code?: string }) => error.code === 'CT_ERR_ENFORCEMENT' && /503/.test(error.message));
    assert.match(new WebhookEnforcer({ url, secret: '', timeoutMs: 1 }).accepts(rule()) ?? '', /unsigned/);
  });
});

describe('command enforcement', () => {
  test('runs the program with arguments and no shell', async () => {
    const log = join(dir, 'command.log');
    const script = join(dir, 'port-control.sh');
    writeFileSync(script, `#!/bin/sh\nfor arg in "$@"; do printf '%s\\n' "$arg" >> '${log}'; done\necho done\n`);
    chmodSync(script, 0o755);
    const enforcer = new CommandEnforcer({ path: script, args: ['{action}', '{switch}', '{port}', 'rule={ruleId}'], timeoutMs: 5_000 });
    assert.match(await enforcer.apply(rule({ port: 'Gi1/0/3; touch pwned' })), /exited 0: done/);
    await enforcer.remove(rule());
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['down', 'sim-switch', 'Gi1/0/3; touch pwned', 'rule=7', 'up', 'sim-switch', 'Gi1/0/3', 'rule=7']);
  });

  test('a failing or hanging program fails the rule', async () => {
    const failing = new CommandEnforcer({ path: '/bin/false', args: [], timeoutMs: 5_000 });
    await assert.rejects(failing.apply(rule()), (error: Error & { code?: string }) => error.code === 'CT_ERR_ENFORCEMENT' && /exit 1/.test(error.message));
    const hanging = new CommandEnforcer({ path: '/bin/sleep', args: ['10'], timeoutMs: 200 });
    await assert.rejects(hanging.apply(rule()), /killed by SIGTERM/);
  });
});
