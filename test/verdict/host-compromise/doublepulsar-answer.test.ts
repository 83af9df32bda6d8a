import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findDoublePulsarAnswer, HostCompromiseDetector } from '../../../src/verdict/host-compromise/index.ts';
import { builtSession } from './built-sessions.ts';

/** An SMB1 message in NetBIOS session framing: header fields that matter here, then words. */
function smb1(fields: { command: number; reply: boolean; mid: number; status?: number; words?: Buffer }): Buffer {
  const header = Buffer.alloc(32);
  header.writeUInt32BE(0xff534d42, 0);
  header[4] = fields.command;
  header.writeUInt32LE(fields.status ?? 0, 5);
  header[9] = fields.reply ? 0x98 : 0x18;
  header.writeUInt16LE(fields.mid, 30);
  const words = fields.words ?? Buffer.from([0, 0, 0]);
  const message = Buffer.concat([header, words]);
  const frame = Buffer.alloc(4);
  frame.writeUIntBE(message.length, 1, 3);
  return Buffer.concat([frame, message]);
}

/** TRANS2 request words with one setup word: SESSION_SETUP (0x000e) is the implant's ping. */
function trans2Words(subcommand: number): Buffer {
  const words = Buffer.alloc(1 + 30 + 2 + 12);
  words[0] = 15;
  words[1 + 26] = 1; // setup count
  words.writeUInt16LE(subcommand, 1 + 28);
  return words;
}

function pingSession(answerMid: number) {
  return builtSession({
    client: '10.9.9.9:50000',
    server: '10.1.1.1:445',
    start: 0,
    turns: [
      { direction: 'to_server', at: 0, data: smb1({ command: 0x72, reply: false, mid: 1 }) },
      { direction: 'to_client', at: 0.01, data: smb1({ command: 0x72, reply: true, mid: 1 }) },
      { direction: 'to_server', at: 0.02, data: smb1({ command: 0x32, reply: false, mid: 65, words: trans2Words(0x000e) }) },
      { direction: 'to_client', at: 0.03, data: smb1({ command: 0x32, reply: true, mid: answerMid, status: 0xc0000002 }) },
    ],
  });
}

test('backdoor answer: a TRANS2 SESSION_SETUP reply carrying MID + 0x10 is the DoublePulsar implant', () => {
  const answer = findDoublePulsarAnswer(pingSession(65 + 0x10));
  assert.ok(answer);
  assert.equal(answer.requestMid, 65);
  assert.equal(answer.answerMid, 81);
  const findings = new HostCompromiseDetector().observe(pingSession(81));
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.rule, 'backdoor_answer');
  assert.equal(findings[0]!.hostIp, '10.1.1.1');
  assert.equal(findings[0]!.attackerIp, '10.9.9.9');
});

test('backdoor answer: a clean server answers with the request MID, and other subcommands do not count', () => {
  assert.equal(findDoublePulsarAnswer(pingSession(65)), null);
  const otherSubcommand = pingSession(81);
  otherSubcommand.turns[2]!.data = smb1({ command: 0x32, reply: false, mid: 65, words: trans2Words(0x0001) });
  assert.equal(findDoublePulsarAnswer(otherSubcommand), null);
});

test('backdoor answer: garbage, truncated frames and UDP never throw', () => {
  const broken = pingSession(81);
  broken.turns[2]!.data = broken.turns[2]!.data.subarray(0, 40);
  assert.equal(findDoublePulsarAnswer(broken), null);
  const garbage = builtSession({ client: '1.1.1.1:1', server: '2.2.2.2:445', start: 0, turns: [{ direction: 'to_server', at: 0, data: Buffer.from([0, 0xff, 0xff, 0xff, 0xff]) }] });
  assert.equal(findDoublePulsarAnswer(garbage), null);
  assert.equal(findDoublePulsarAnswer({ ...pingSession(81), proto: 'udp' }), null);
});
