import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_KEY_ID_BYTES, Option, telnetService } from '../../../../src/emulator/services/telnet/telnet-service.ts';
import { skipWithoutCorpus } from '../../../helpers/corpus.ts';
import { clientTurns, corpusSessions } from '../../../helpers/corpus-sessions.ts';
import { seededRandom } from '../../../helpers/random.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';

const IAC = 255;
const [SB, SE, WILL, WONT, DO] = [250, 240, 251, 252, 253];
const peer = { address: '192.0.2.23', port: 40_023 };

function open(profile: string): { host: TestServiceHost; connection: ReturnType<ReturnType<typeof telnetService>['open']>; greeting: Buffer } {
  const host = new TestServiceHost(profile);
  const connection = telnetService().open(host, peer, 23);
  return { host, connection, greeting: Buffer.from(connection.greeting()) };
}

/** IAC SB ENCRYPT <suboption> key-id IAC SE, with IAC bytes in the key id doubled */
function keyIdSubnegotiation(keyId: Uint8Array, suboption = 7): Buffer {
  const escaped = Buffer.from([...keyId].flatMap((byte) => (byte === IAC ? [IAC, IAC] : [byte])));
  return Buffer.concat([Buffer.from([IAC, SB, Option.encrypt, suboption]), escaped, Buffer.from([IAC, SE])]);
}

describe('telnet service', () => {
  it('FreeBSD telnetd: asks for terminal facts and offers ENCRYPT, then shows its banner and login prompt', () => {
    const { host, greeting } = open('freebsd-telnetd');
    assert.deepEqual([...greeting.subarray(0, 3)], [IAC, DO, Option.terminalType]);
    assert.ok(greeting.includes(Buffer.from([IAC, WILL, Option.encrypt])));
    assert.ok(greeting.toString('latin1').endsWith(`FreeBSD/i386 (${host.hostname.toLowerCase()})\r\n\r\nlogin: `));
  });

  it('BusyBox telnetd: its four requests and the banner that is its prompt', () => {
    const { host, greeting } = open('busybox-dvr');
    assert.deepEqual([...greeting.subarray(0, 12)], [IAC, DO, 1, IAC, DO, 31, IAC, WILL, 1, IAC, WILL, 3]);
    assert.ok(greeting.toString('latin1').endsWith(`${host.hostname.toLowerCase()} login: `));
  });

  it('negotiation answers only what changes a state', () => {
    const { connection } = open('freebsd-telnetd');
    const answer = (bytes: number[]): number[] => [...connection.receive(Uint8Array.from(bytes))];
    assert.deepEqual(answer([IAC, WILL, Option.terminalType]), [IAC, SB, Option.terminalType, 1, IAC, SE], 'asked for already: only SEND');
    assert.deepEqual(answer([IAC, WILL, Option.terminalType]), [], 'no repeat');
    assert.deepEqual(answer([IAC, WILL, 34]), [IAC, 254, 34], 'LINEMODE refused');
    assert.deepEqual(answer([IAC, DO, Option.echo]), [IAC, WILL, Option.echo]);
    assert.deepEqual(answer([IAC, DO, Option.echo]), []);
    assert.deepEqual(answer([IAC, DO, 6]), [IAC, WONT, 6]);
    assert.deepEqual(answer([IAC, 246]), [...Buffer.from('\r\n[Yes]\r\n')]);
  });

  it('every login is refused; after three the connection closes', () => {
    const { connection, host } = open('busybox-dvr');
    const say = (line: string): string => Buffer.from(connection.receive(Buffer.from(line, 'latin1'))).toString('latin1');
    assert.equal(say('root\r\n'), 'root\r\nPassword:');
    assert.equal(say('admin\r\n'), `\r\nLogin incorrect\r\n${host.hostname.toLowerCase()} login: `);
    say('root\r\0');
    say('12345\n');
    assert.equal(connection.closed, false);
    say('root\r\n');
    assert.equal(say('xc3511\r\n'), '\r\nLogin incorrect\r\n');
    assert.equal(connection.closed, true);
    assert.deepEqual(host.exploits, []);
  });

  it(`CVE-2011-4862: a key id of ${MAX_KEY_ID_BYTES} bytes fits, ${MAX_KEY_ID_BYTES + 1} overflows (IAC IAC counts once)`, () => {
    for (const suboption of [7, 8]) {
      const fits = open('freebsd-telnetd');
      fits.connection.receive(keyIdSubnegotiation(new Uint8Array(MAX_KEY_ID_BYTES).fill(IAC), suboption));
      assert.deepEqual(fits.host.exploits, []);
      assert.equal(fits.connection.closed, false);
      const over = open('freebsd-telnetd');
      const keyId = new Uint8Array(MAX_KEY_ID_BYTES + 1).fill(0x90);
      over.connection.receive(keyIdSubnegotiation(keyId, suboption));
      assert.equal(over.host.exploits.length, 1);
      assert.equal(over.host.exploits[0]!.vulnerability, 'CVE-2011-4862');
      assert.equal(over.host.exploits[0]!.vulnerable, true);
      assert.equal(over.host.codeRuns.length, 1);
      assert.deepEqual(over.host.codeRuns[0]!.hints, { service: 'telnet', vulnerability: 'CVE-2011-4862', os: 'linux', bits: 32 });
      assert.deepEqual([...over.host.codeRuns[0]!.bytes], [...keyId]);
      assert.equal(over.connection.closed, true);
    }
  });

  it('CVE-2011-4862 in pieces, after negotiation; on BusyBox only an attempt', () => {
    const attack = keyIdSubnegotiation(new Uint8Array(400).fill(0x41));
    const freebsd = open('freebsd-telnetd');
    freebsd.connection.receive(Uint8Array.of(IAC, WILL, Option.encrypt, IAC, DO, Option.encrypt));
    for (let offset = 0; offset < attack.length; offset += 7) freebsd.connection.receive(attack.subarray(offset, offset + 7));
    assert.equal(freebsd.host.codeRuns.length, 1);
    const busybox = open('busybox-dvr');
    busybox.connection.receive(attack);
    assert.equal(busybox.host.exploits[0]?.vulnerable, false);
    assert.equal(busybox.host.codeRuns.length, 0);
    assert.equal(busybox.connection.closed, false);
  });

  it('malformed and mutated streams never throw; oddities are counted', () => {
    const odd = open('freebsd-telnetd');
    odd.connection.receive(Uint8Array.of(IAC, 0x10, IAC, SE, IAC, SB, Option.encrypt, 7, 1, 2, IAC, DO, 1));
    assert.deepEqual(odd.host.anomalies, ['telnet.command_unknown', 'telnet.subnegotiation_end_unexpected', 'telnet.subnegotiation_unterminated']);
    odd.connection.receive(Buffer.alloc(5_000, 0x41));
    assert.ok(odd.host.anomalies.includes('telnet.line_too_long'));
    const random = seededRandom(23);
    const script = Buffer.concat([Buffer.from([IAC, WILL, 24, IAC, DO, 1]), keyIdSubnegotiation(new Uint8Array(80).fill(0x42)), Buffer.from('root\r\npass\r\n')]);
    for (let round = 0; round < 1_000; round += 1) {
      const mutated = Buffer.from(script.subarray(0, 1 + Math.floor(random() * script.length)));
      for (let flip = 0; flip < 4; flip += 1) mutated[Math.floor(random() * mutated.length)] = [IAC, SB, SE, Math.floor(random() * 256)][Math.floor(random() * 4)]!;
      const { connection } = open(round % 2 === 0 ? 'freebsd-telnetd' : 'busybox-dvr');
      for (let offset = 0; offset < mutated.length; offset += 5) connection.receive(mutated.subarray(offset, offset + 5));
    }
  });

  describe('corpus', { skip: skipWithoutCorpus() }, () => {
    it('nmap version-scan probes never throw', async () => {
      for (const session of await corpusSessions('nmap-version-scan.pcap')) {
        const { connection, host } = open('freebsd-telnetd');
        for (const turn of clientTurns(session)) connection.receive(turn);
        assert.deepEqual(host.codeRuns, []);
      }
    });
  });
});
