import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ftpService, MAX_COMMAND_LINE_BYTES } from '../../../../src/emulator/services/ftp/ftp-service.ts';
import { skipWithoutCorpus } from '../../../helpers/corpus.ts';
import { clientTurns, corpusSessions } from '../../../helpers/corpus-sessions.ts';
import { seededRandom } from '../../../helpers/random.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';

const PROFILE = 'win-2000-sp4-iis5';
const peer = { address: '192.0.2.21', port: 40_021 };

function open(profile = PROFILE): { host: TestServiceHost; connection: ReturnType<ReturnType<typeof ftpService>['open']>; greeting: string } {
  const host = new TestServiceHost(profile);
  const connection = ftpService().open(host, peer, 21);
  return { host, connection, greeting: Buffer.from(connection.greeting()).toString('latin1') };
}

function say(connection: ReturnType<ReturnType<typeof ftpService>['open']>, line: string | Uint8Array): string {
  return Buffer.from(connection.receive(typeof line === 'string' ? Buffer.from(`${line}\r\n`, 'latin1') : line)).toString('latin1');
}

const code = (answer: string): number => Number.parseInt(answer.slice(0, 3), 10);

describe('FTP service', () => {
  it('greets with the profile banner and accepts anonymous logins only', () => {
    const { host, connection, greeting } = open();
    assert.equal(greeting, `220 ${host.hostname} Microsoft FTP Service (Version 5.0).\r\n`);
    assert.equal(code(say(connection, 'PWD')), 530, 'nothing before a login');
    assert.equal(code(say(connection, 'USER administrator')), 331);
    assert.equal(code(say(connection, 'PASS secret')), 530);
    assert.equal(code(say(connection, 'PASS again')), 503);
    assert.equal(code(say(connection, 'USER anonymous')), 331);
    assert.equal(code(say(connection, 'PASS guest@example.com')), 230);
    assert.equal(say(connection, 'SYST'), '215 Windows_NT\r\n');
    assert.equal(code(say(connection, 'CWD pub/incoming')), 250);
    assert.equal(say(connection, 'PWD'), '257 "/pub/incoming" is current directory.\r\n');
    assert.equal(code(say(connection, 'TYPE I')), 200);
    assert.match(say(connection, 'PASV'), /^227 Entering Passive Mode \(10,0,0,2,\d+,\d+\)\r\n$/);
    assert.equal(code(say(connection, 'PORT 192,0,2,21,4,1')), 200);
    assert.equal(code(say(connection, 'LIST')), 550);
    assert.equal(code(say(connection, 'RETR secret.txt')), 550);
    assert.equal(code(say(connection, 'XYZZY')), 500);
    assert.equal(say(connection, 'QUIT'), '221 Goodbye.\r\n');
    assert.ok(connection.closed);
    assert.deepEqual(host.exploits, []);
  });

  it('commands split across pieces and several in one piece are answered in order', () => {
    const { connection } = open();
    assert.equal(say(connection, Buffer.from('US')), '');
    assert.equal(code(say(connection, Buffer.from('ER ftp\r\nPASS x\r\n'))), 331);
    assert.equal(code(say(connection, 'NOOP')), 200);
  });

  it(`a ${MAX_COMMAND_LINE_BYTES}-byte line is still read, a longer one gets 500; an endless one is cut off`, () => {
    const { host, connection } = open();
    assert.equal(code(say(connection, `USER ${'a'.repeat(MAX_COMMAND_LINE_BYTES - 5)}`)), 331);
    assert.equal(code(say(connection, `USER ${'a'.repeat(MAX_COMMAND_LINE_BYTES)}`)), 500);
    const endless = say(connection, Buffer.alloc(20_000, 0x41));
    assert.equal(code(endless), 500);
    assert.equal(say(connection, Buffer.from('AAAA\r\n')), '', 'the rest of the refused line is skipped');
    assert.equal(code(say(connection, 'NOOP')), 200);
    assert.ok(host.anomalies.includes('ftp.line_too_long'));
  });

  it('mutated sessions never throw', () => {
    const script = Buffer.from('USER anonymous\r\nPASS a@b\r\nCWD /pub\r\nPASV\r\nRETR x\r\nPORT 1,2,3,4,5,6\r\nQUIT\r\n');
    const random = seededRandom(21);
    for (let round = 0; round < 1_000; round += 1) {
      const mutated = Buffer.from(script);
      for (let flip = 0; flip < 8; flip += 1) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      const { host, connection } = open();
      connection.receive(mutated.subarray(0, 1 + Math.floor(random() * mutated.length)));
      assert.deepEqual(host.exploits, []);
    }
  });

  describe('corpus', { skip: skipWithoutCorpus() }, () => {
    for (const capture of ['benign-ftp-retr.pcap', 'benign-ftp-ipv4-session.pcap', 'ftp-bruteforce.pcap']) {
      it(`${capture}: plausible FTP answers, no exploit reports`, async () => {
        const sessions = (await corpusSessions(capture)).filter((session) => session.server.port === 21);
        assert.ok(sessions.length > 0);
        for (const session of sessions) {
          const { host, connection } = open();
          for (const turn of clientTurns(session)) {
            const answer = Buffer.from(connection.receive(turn)).toString('latin1');
            assert.match(answer, /^([1-5]\d\d[ -].*\r\n)+$/s, JSON.stringify(turn.toString('latin1')));
            if (/^PASS /.test(turn.toString('latin1'))) assert.equal(code(answer), /^USER (anonymous|ftp)\r\n/i.test(clientTurns(session)[0]!.toString('latin1')) ? 230 : 530);
          }
          assert.deepEqual(host.exploits, []);
          assert.deepEqual(host.codeRuns, []);
        }
      });
    }

    it('nmap version-scan probes never throw', async () => {
      for (const session of await corpusSessions('nmap-version-scan.pcap')) {
        const { connection } = open();
        for (const turn of clientTurns(session)) connection.receive(turn);
      }
    });
  });
});
