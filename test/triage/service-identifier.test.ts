import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultCatalogue } from '../../src/sandbox/index.ts';
import { ServiceIdentifier } from '../../src/triage/index.ts';
import { dcerpcBind, httpRequest, smb1Message, testSession } from './triage-sessions.ts';

const identifier = new ServiceIdentifier(defaultCatalogue());
const kindOf = (session: Parameters<ServiceIdentifier['identify']>[0]) => identifier.identify(session);

describe('service identification: content first, port second', () => {
  it('SMB on 445, on 139 after a NetBIOS session request, and on an odd port', () => {
    const negotiate = smb1Message(0x72, { pid: 1, uid: 0, mid: 1, tid: 0 });
    assert.deepEqual(kindOf(testSession({ serverPort: 445, turns: [['to_server', negotiate]] })), { kind: 'microsoft-ds', protocol: 'smb1', by: 'content' });
    const request = Buffer.concat([Buffer.from([0x81, 0, 0, 4]), Buffer.alloc(4)]);
    assert.equal(kindOf(testSession({ serverPort: 139, turns: [['to_server', request], ['to_client', Buffer.from([0x82, 0, 0, 0])], ['to_server', negotiate]] }))?.kind, 'netbios-ssn');
    assert.equal(kindOf(testSession({ serverPort: 4455, turns: [['to_server', negotiate]] }))?.kind, 'microsoft-ds');
  });

  it('DCE/RPC: msrpc on 135, msrpc-dynamic on any other port', () => {
    assert.equal(kindOf(testSession({ serverPort: 135, turns: [['to_server', dcerpcBind(1)]] }))?.kind, 'msrpc');
    assert.deepEqual(kindOf(testSession({ serverPort: 49668, turns: [['to_server', dcerpcBind(1)]] })), { kind: 'msrpc-dynamic', protocol: 'dcerpc', by: 'content' });
  });

  it('HTTP by request line on any port; TLS by ClientHello keeps a TLS port name', () => {
    assert.equal(kindOf(testSession({ serverPort: 8000, turns: [['to_server', httpRequest('/', { Host: 'x' })]] }))?.kind, 'http');
    const hello = Buffer.from('160301002f0100002b0301' + '00'.repeat(40), 'hex');
    assert.deepEqual(kindOf(testSession({ serverPort: 8443, turns: [['to_server', hello]] })), { kind: 'https', protocol: 'tls', by: 'content' });
    assert.equal(kindOf(testSession({ serverPort: 636, turns: [['to_server', hello]] }))?.kind, 'ldaps');
  });

  it('UDP: SQL Server resolution on 1434, TFTP requests, NBNS queries', () => {
    const slammerLike = Buffer.concat([Buffer.from([0x04]), Buffer.alloc(300, 0x01)]);
    assert.deepEqual(kindOf(testSession({ proto: 'udp', serverPort: 1434, turns: [['to_server', slammerLike]] })), { kind: 'ms-sql-m', protocol: 'ssrp', by: 'content' });
    assert.equal(kindOf(testSession({ proto: 'udp', serverPort: 69, turns: [['to_server', Buffer.from('\x00\x01boot.bin\x00octet\x00', 'latin1')]] }))?.kind, 'tftp');
    const nbns = Buffer.alloc(50);
    nbns.writeUInt16BE(1, 4);
    nbns[12] = 0x20;
    assert.equal(kindOf(testSession({ proto: 'udp', serverPort: 137, turns: [['to_server', nbns]] }))?.kind, 'netbios-ns');
  });

  it('server-first protocols by banner; the port when bytes say nothing; null when neither does', () => {
    assert.equal(kindOf(testSession({ serverPort: 2121, turns: [['to_client', '220 FTP ready\r\n'], ['to_server', 'USER anonymous\r\n']] }))?.kind, 'ftp');
    assert.equal(kindOf(testSession({ serverPort: 2222, turns: [['to_client', 'SSH-2.0-OpenSSH_6.0\r\n'], ['to_server', Buffer.from([0, 0, 1, 2, 3])]] }))?.kind, 'ssh');
    assert.deepEqual(kindOf(testSession({ serverPort: 23, turns: [['to_server', Buffer.from([1, 2, 3])]] })), { kind: 'telnet', protocol: 'unknown', by: 'port' });
    assert.equal(kindOf(testSession({ serverPort: 31337, turns: [['to_server', Buffer.from([1, 2, 3])]] })), null);
  });

  it('never throws on odd or truncated bytes', () => {
    const odd = [Buffer.alloc(0), Buffer.from([0]), Buffer.from([5, 0, 0]), Buffer.from([0x16, 3, 1]), Buffer.from([0x30, 0x84]), Buffer.from([0, 0, 0, 5, 0xfe, 0x53])];
    for (const bytes of odd) {
      for (const proto of ['tcp', 'udp'] as const) {
        assert.doesNotThrow(() => identifier.identify(testSession({ proto, serverPort: 1, turns: [['to_server', bytes], ['to_client', bytes]] })));
      }
    }
  });
});
