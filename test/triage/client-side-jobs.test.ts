/**
 * Client-side triage: a protected client that fetched active content becomes a `to_client` job on
 * the workstation profiles; ordinary pages do not. Corpus: the two exploit-kit captures give jobs
 * for their exploit deliveries and, today, no verdict (their pages are obfuscated beyond what the
 * static decoder evaluates).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeCaptures } from '../../src/daemon/index.ts';
import { defaultCatalogue } from '../../src/sandbox/index.ts';
import { clientSideContent, clientSideJob, ProtectedNetworks } from '../../src/triage/index.ts';
import { corpusSessions } from '../helpers/corpus-sessions.ts';
import { corpusDir, skipWithoutCorpus } from '../helpers/corpus.ts';
import { sessionRecord } from '../helpers/session-record.ts';
import type { Session } from '../../src/core/index.ts';

function httpSession(fields: { client: string; server: string; port: number; turns: Array<['to_server' | 'to_client', Buffer]> }): Session {
  const session = sessionRecord({ id: 1, client: { ip: fields.client, port: 1050, mac: -1, ttl: 128 }, server: { ip: fields.server, port: fields.port, mac: -1, ttl: 64 }, startSeconds: 1 });
  session.turns = fields.turns.map(([direction, data]) => ({ direction, seconds: 1, nanoseconds: 0, data }));
  return session;
}

const REQUEST = Buffer.from('GET /x HTTP/1.1\r\nHost: example.test\r\n\r\n');
function reply(body: string, type = 'text/html'): Buffer {
  return Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`, 'latin1');
}

describe('client-side triage', () => {
  const context = { catalogue: defaultCatalogue(), protectedNetworks: ProtectedNetworks.fromCidrs(['10.0.0.0/8']) };

  it('a page with a %u string and a spray loop is a to_client job on workstation profiles', () => {
    const page = reply('<script>var s = unescape("%u9090%u9090%ue8fc%u0089"); while (s.length < 0x40000) s += s;</script>');
    const session = httpSession({ client: '10.1.1.5', server: '203.0.113.9', port: 80, turns: [['to_server', REQUEST], ['to_client', page]] });
    const job = clientSideJob(session, context);
    assert.ok(job);
    assert.equal(job.direction, 'to_client');
    assert.equal(job.senders[0]!.ip, '203.0.113.9');
    assert.deepEqual(job.reasons.clientSide, ['decoded_strings', 'heap_spray']);
    assert.ok(job.profileIds.length >= 2 && job.profileIds.every((id) => id.endsWith('-client')));
  });

  it('plain pages are not candidates; nor is an unprotected client', () => {
    const plain = httpSession({ client: '10.1.1.5', server: '203.0.113.9', port: 80, turns: [['to_server', REQUEST], ['to_client', reply('<script>var a = 1 + 2;</script><p>hi</p>')]] });
    assert.equal(clientSideContent(plain), null);
    const exe = reply('MZ'.padEnd(0x40, '\0').slice(0, 0x3c) + '\u0040\0\0\0PE\0\0', 'application/octet-stream');
    const outside = httpSession({ client: '192.0.2.5', server: '203.0.113.9', port: 80, turns: [['to_server', REQUEST], ['to_client', exe]] });
    assert.deepEqual(clientSideContent(outside)?.reasons, ['executable']);
    assert.equal(clientSideJob(outside, context), null);
  });
});

describe('exploit-kit captures', { skip: skipWithoutCorpus() }, () => {
  for (const capture of ['honeynet-browsers-under-attack-ek.pcap', 'ek-to-cryptowall4-driveby.pcapng']) {
    it(`${capture}: the deliveries become client-side jobs; no verdict beyond attempted`, async () => {
      const sessions = await corpusSessions(capture);
      const context = { catalogue: defaultCatalogue(), protectedNetworks: ProtectedNetworks.everyReceiver() };
      assert.ok(sessions.some((session) => clientSideJob(session, context) !== null));
      const levels: string[] = [];
      await analyzeCaptures([join(corpusDir(), capture)], { onEvent: (event) => void (event.event_type === 'verdict' && levels.push(`${event.level} ${event.profile}`)) });
      assert.deepEqual(levels.filter((level) => !level.startsWith('attempted')), []);
    });
  }
});
