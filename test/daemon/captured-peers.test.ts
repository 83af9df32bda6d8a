/**
 * Multi-connection dialogs: the real target's own connections after an attack answer the dummy's
 * (the stager's callback meets the stage the attacker sent; the JNDI lookup meets the captured
 * LDAP answer and then the captured class download).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Session, Turn } from '../../src/core/index.ts';
import { analyzeCaptures } from '../../src/daemon/index.ts';
import { capturedPeerIndex } from '../../src/daemon/captured-peers.ts';
import { defaultCatalogue, ProfileCatalogue } from '../../src/sandbox/index.ts';
import type { ReplayJob } from '../../src/triage/index.ts';
import { corpusDir, skipWithoutCorpus } from '../helpers/corpus.ts';

function session(id: number, client: string, server: string, start: number, turns: Array<[Turn['direction'], string]>): Session {
  const [clientIp, clientPort] = client.split(':');
  const [serverIp, serverPort] = server.split(':');
  const stats = () => ({ frames: 0, bytes: 0, payloadBytes: 0, missingBytes: 0 });
  return {
    id,
    proto: 'tcp',
    client: { ip: clientIp!, port: Number(clientPort), mac: -1, ttl: -1 },
    server: { ip: serverIp!, port: Number(serverPort), mac: -1, ttl: -1 },
    vlan: -1,
    innerVlan: -1,
    startSeconds: start,
    startNanoseconds: 0,
    endSeconds: start,
    endNanoseconds: 0,
    toServer: stats(),
    toClient: stats(),
    midstream: false,
    truncated: false,
    endReason: 'end_of_capture',
    turns: turns.map(([direction, data]) => ({ direction, seconds: start, nanoseconds: 0, data: Buffer.from(data, 'latin1') })),
    anomalies: [],
  } as Session;
}

describe('captured peers of a job', () => {
  const attack = session(1, '192.168.3.205:38109', '192.168.3.12:445', 1000, [['to_server', 'exploit']]);
  const sessions = [
    attack,
    session(2, '192.168.3.12:58206', '192.168.3.205:4444', 1003, [['to_client', 'stage']]),
    session(3, '192.168.3.12:58207', '192.168.3.205:4444', 1001, [['to_client', 'earlier stage']]),
    session(4, '192.168.3.12:58208', '192.168.3.205:4444', 999, [['to_client', 'before the attack']]),
    session(5, '192.168.3.12:58209', '192.168.3.205:4444', 1000 + 601, [['to_client', 'too late']]),
    session(6, '192.168.3.12:58210', '192.168.3.205:80', 1002, [['to_server', 'GET / HTTP/1.1\r\n\r\n']]),
    session(7, '192.168.3.99:58210', '192.168.3.205:4444', 1002, [['to_client', 'another host']]),
  ];
  const peersFor = capturedPeerIndex(sessions);

  test("the target's sessions after the attack, in time order, by destination; silent servers and other hosts left out", () => {
    const lookup = peersFor({ session: attack } as ReplayJob);
    assert.ok(lookup);
    assert.deepEqual(lookup({ address: '192.168.3.205', port: 4444 }).map((peer) => peer.sessionId), [3, 2]);
    assert.deepEqual(lookup({ address: '192.168.3.205', port: 80 }), []);
    assert.deepEqual(lookup({ address: '192.168.3.205', port: 4444 })[0]!.capturedClient, { address: '192.168.3.12', port: 58207 });
  });

  test('a job whose target made no later connection has no lookup', () => {
    assert.equal(peersFor({ session: session(8, '10.0.0.1:1', '10.0.0.2:445', 1000, [['to_server', 'x']]) } as ReplayJob), undefined);
  });
});

/** Only the profiles named: the corpus checks below need one dummy each, not the whole catalogue. */
function catalogueOf(pattern: RegExp): ProfileCatalogue {
  return new ProfileCatalogue(defaultCatalogue().list().filter((profile) => pattern.test(profile.id)));
}

interface Verdict {
  event_type: string;
  level: string;
  profile: string;
  evidence: Array<{ kind: string; [field: string]: unknown }>;
}

async function verdictsOf(capture: string, catalogue: ProfileCatalogue): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  await analyzeCaptures([join(corpusDir(), capture)], {
    catalogue,
    onEvent: (event) => {
      if (event.event_type === 'verdict') verdicts.push(JSON.parse(JSON.stringify(event)) as Verdict);
    },
  });
  return verdicts;
}

describe('next stages from the capture', { skip: skipWithoutCorpus() }, () => {
  test('ms09-050-smb2-negotiate-meterpreter: the stager receives the captured Meterpreter stage and the stage runs', async () => {
    const verdicts = await verdictsOf('ms09-050-smb2-negotiate-meterpreter.pcap', catalogueOf(/^win-vista-sp0$/));
    const compromised = verdicts.find((verdict) => verdict.level === 'compromised');
    assert.ok(compromised, 'a compromised Vista verdict');
    assert.ok(compromised.evidence.some((item) => item.kind === 'connect' && item.dest_port === 4444 && typeof item.replayed_session === 'number'));
    const code = compromised.evidence.find((item) => item.kind === 'code');
    const calls = (code?.calls ?? []) as string[];
    // the captured handler sent a 4-byte length and then 752,128 bytes of stage
    const stageRead = calls.indexOf('recv 752128 bytes from 192.168.3.205:4444');
    assert.ok(stageRead > 0, `the stager read the whole stage: ${calls.join(' | ')}`);
    // only the stage's reflective loader maps an image and loads its imports (the stager has no DLL names)
    const afterStage = calls.slice(stageRead + 1);
    assert.ok(afterStage.some((call) => /^alloc \d+ bytes/.test(call)), `the stage allocates its image: ${afterStage.join(' | ')}`);
    assert.ok(afterStage.some((call) => /^load \w+\.dll$/i.test(call)), `the stage loads its imports: ${afterStage.join(' | ')}`);
  });

  for (const capture of ['cve-2021-44228-log4shell-useragent-revshell.pcap', 'cve-2021-44228-log4shell-login-revshell.pcap']) {
    test(`${capture}: the lookup meets the captured LDAP answer and the dummy downloads the class from the captured server`, async () => {
      const verdicts = await verdictsOf(capture, catalogueOf(/^linux-tomcat-log4j-2\.14$/));
      const compromised = verdicts.filter((verdict) => verdict.level === 'compromised');
      assert.ok(compromised.length > 0);
      for (const verdict of compromised) {
        const download = verdict.evidence.find((item) => item.kind === 'download');
        assert.ok(download, `a download: ${JSON.stringify(verdict.evidence)}`);
        assert.equal(download.dest_ip, '172.16.238.11');
        assert.equal(download.dest_port, 80);
        assert.equal(download.url, 'http://172.16.238.11/Exploit.class');
        assert.equal(download.content_type, 'application/java-vm');
        assert.equal(typeof download.replayed_session, 'number');
        assert.ok(verdict.evidence.some((item) => item.kind === 'http' && item.url === '/Exploit.class' && item.after_replay === true), 'the request the LDAP answer led to');
        assert.ok(verdict.evidence.some((item) => item.kind === 'connect' && item.dest_port === 1389 && typeof item.replayed_session === 'number'));
      }
    });
  }
});
