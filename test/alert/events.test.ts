import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildHostCompromiseEvent,
  buildStatsEvent,
  buildVerdictEvent,
  EVIDENCE_KINDS,
  formatEventLine,
  formatEventTimestamp,
  VERDICT_LEVELS,
  type CrashtestEvent,
} from '../../src/alert/index.ts';
import { Counters } from '../../src/core/index.ts';
import { EVERY_EVIDENCE, sampleSession } from './fixtures.ts';
import { schemaErrors, schemaJson } from './schema-validator.ts';

const TIME = { seconds: 1_700_000_000, nanoseconds: 123_456_789 };

function verdict() {
  return buildVerdictEvent({
    time: TIME,
    session: sampleSession(),
    level: 'compromised',
    profile: 'windows-xp-sp2',
    evidence: EVERY_EVIDENCE,
    method: 'replayed',
    vulnerability: 'MS08-067',
    signature: { id: 'sig-1f2e', replaySkipped: false },
    senders: [
      { ip: '203.0.113.5', mac: 0x0200_0000_0001, flowIds: [42] },
      { ip: '203.0.113.6', flowIds: [57, 58] },
    ],
    profilesTried: ['windows-xp-sp2', 'windows-7-sp1-x64'],
    evidenceDir: '/var/lib/crashtest/evidence/x',
  });
}

function hostCompromise() {
  return buildHostCompromiseEvent({ time: TIME, hostIp: '10.0.0.8', evidence: [EVERY_EVIDENCE[0]!], rule: 'egress-matches-verdict', attackerIp: '203.0.113.5', flowIds: [42, 99] });
}

function stats() {
  const counters = new Counters();
  counters.add('capture.frames', 1000);
  counters.add('decoder.ipv4.truncated', 2);
  counters.add('flow.packets.tcp', 900);
  counters.add('flow.timeouts.tcp', 3);
  counters.add('replay.detonations', 4);
  counters.add('triage.signature_hits', 5);
  counters.add('replay.queue_overflow', 6);
  counters.add('attribution.rows', 7);
  counters.add('uncategorised', 8);
  return buildStatsEvent({ time: TIME, counters: counters.snapshot(), uptimeSeconds: 3600 });
}

describe('alert events against schemas/', () => {
  it('verdict, host_compromise and stats events validate against their own schema and event.schema.json', () => {
    const cases: [string, CrashtestEvent][] = [
      ['verdict.schema.json', verdict()],
      ['host-compromise.schema.json', hostCompromise()],
      ['stats.schema.json', stats()],
    ];
    for (const [schema, event] of cases) {
      // through JSON, as a consumer reads the line
      const parsed: unknown = JSON.parse(formatEventLine(event));
      assert.equal(schemaErrors(schema, parsed), '', `${event.event_type} against ${schema}`);
      assert.equal(schemaErrors('event.schema.json', parsed), '', `${event.event_type} against event.schema.json`);
    }
  });

  it('a minimal verdict (defaults: sender = client, profiles tried = profile) validates', () => {
    const event = buildVerdictEvent({ time: TIME, session: sampleSession(), level: 'attempted', profile: 'linux-apache-bash', evidence: [], method: 'signature' });
    assert.deepEqual(event.senders, [{ ip: '203.0.113.5', mac: '02:00:00:00:00:01', flow_ids: [42] }]);
    assert.deepEqual(event.profiles_tried, ['linux-apache-bash']);
    assert.equal(event.proto, 'TCP');
    assert.ok(!('signature' in event) && !('evidence_dir' in event), 'absent optional fields are left out');
    assert.equal(schemaErrors('verdict.schema.json', event), '');
  });

  it('every evidence kind validates, and the TypeScript kinds equal the schema kinds', () => {
    const schemaKinds = (schemaJson('evidence.schema.json').properties as { kind: { enum: string[] } }).kind.enum;
    assert.deepEqual(schemaKinds, [...EVIDENCE_KINDS]);
    assert.deepEqual(EVERY_EVIDENCE.map((item) => item.kind), [...EVIDENCE_KINDS], 'the fixture has one item of each kind, in order');
    for (const item of EVERY_EVIDENCE) assert.equal(schemaErrors('evidence.schema.json', item), '', item.kind);
    const levels = ((schemaJson('common.schema.json').$defs as Record<string, { enum: string[] }>).level!).enum;
    assert.deepEqual(levels, [...VERDICT_LEVELS]);
  });

  it('invalid events are rejected', () => {
    const invalid: [string, Record<string, unknown>, string][] = [
      ['missing level', { ...verdict(), level: undefined }, 'level'],
      ['unknown level', { ...verdict(), level: 'owned' }, 'level'],
      ['timestamp without microseconds', { ...verdict(), timestamp: '2023-11-14T22:13:20Z' }, 'pattern'],
      ['port out of range', { ...verdict(), dest_port: 70_000 }, 'dest_port'],
      ['lower-case proto', { ...verdict(), proto: 'tcp' }, 'proto'],
      ['unknown field', { ...verdict(), severity: 1 }, 'additional'],
      ['no senders', { ...verdict(), senders: [] }, 'senders'],
      ['evidence without kind', { ...verdict(), evidence: [{ dest_ip: '1.2.3.4' }] }, 'kind'],
      ['evidence of unknown kind', { ...verdict(), evidence: [{ kind: 'teleport' }] }, 'kind'],
      ['connect without port', { ...verdict(), evidence: [{ kind: 'connect', proto: 'tcp', dest_ip: '1.2.3.4' }] }, 'dest_port'],
      ['exec with a numeric command', { ...verdict(), evidence: [{ kind: 'exec', shell: 'sh', command: 7 }] }, 'command'],
      ['bad sha256', { ...verdict(), evidence: [{ kind: 'file', path: '/tmp/x', bytes: 1, sha256: 'XYZ' }] }, 'sha256'],
      ['host_compromise without rule', { ...hostCompromise(), rule: undefined }, 'rule'],
      ['host_compromise with no evidence', { ...hostCompromise(), evidence: [] }, 'evidence'],
      ['stats missing a section', { ...stats(), stats: { ...stats().stats, pool: undefined } }, 'pool'],
      ['stats with a string counter', { ...stats(), stats: { ...stats().stats, flow: { active: 'many' } } }, 'flow'],
      ['unknown event type', { ...stats(), event_type: 'alert' }, 'event_type'],
    ];
    for (const [name, event, mentioned] of invalid) {
      const parsed: unknown = JSON.parse(JSON.stringify(event)); // drops the undefined fields
      const errors = schemaErrors('event.schema.json', parsed);
      assert.notEqual(errors, '', `${name} must be rejected`);
      assert.match(errors, new RegExp(mentioned), `${name}: ${errors}`);
    }
  });

  it('timestamps are EVE-shaped: microseconds and a numeric offset', () => {
    assert.equal(formatEventTimestamp(TIME), '2023-11-14T22:13:20.123456+0000');
    assert.equal(formatEventTimestamp(TIME, 60), '2023-11-14T23:13:20.123456+0100');
    assert.equal(formatEventTimestamp({ seconds: 0, nanoseconds: 999 }, -330), '1969-12-31T18:30:00.000000-0530');
  });

  it('stats nest counters by their dots, keep every section and read the totals from named counters', () => {
    const body = stats().stats;
    assert.deepEqual(body.flow, { packets: { tcp: 900 }, timeouts: { tcp: 3 } });
    assert.deepEqual(body.decoder, { ipv4: { truncated: 2 } });
    assert.deepEqual(body.pool, {});
    assert.deepEqual(body.attribution, { rows: 7 });
    assert.deepEqual(body.other, { uncategorised: 8 });
    assert.equal(body.detonations, 4);
    assert.equal(body.signature_hits, 5);
    assert.equal(body.queue_overflow, 6);
    const both = buildStatsEvent({ time: TIME, counters: { 'flow.ended': 9, 'flow.ended.fin': 4 } });
    assert.deepEqual(both.stats.flow, { ended: { total: 9, fin: 4 } });
    assert.equal(schemaErrors('stats.schema.json', both), '');
  });

  it('an event line is one line of JSON ending in a newline', () => {
    const line = formatEventLine(verdict());
    assert.ok(line.endsWith('\n'));
    assert.equal(line.indexOf('\n'), line.length - 1);
  });
});
