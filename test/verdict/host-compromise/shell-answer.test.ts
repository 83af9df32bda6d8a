import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findShellAnswer, HostCompromiseDetector } from '../../../src/verdict/host-compromise/index.ts';
import { builtSession, type BuiltTurn } from './built-sessions.ts';

function conversation(server: string, turns: BuiltTurn[]) {
  return builtSession({ client: '10.9.9.9:40000', server, start: 0, turns });
}

test('shell answers: the cmd.exe banner and prompt on a non-shell port is a bound shell', () => {
  const session = conversation('10.1.1.1:4444', [
    { direction: 'to_client', at: 0, data: 'Microsoft Windows XP [Version 5.1.2600]\r\n(C) Copyright 1985-2001 Microsoft Corp.\r\n\r\nC:\\WINDOWS\\system32>' },
  ]);
  const findings = new HostCompromiseDetector().observe(session);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.rule, 'shell_answer');
  assert.equal(findings[0]!.hostIp, '10.1.1.1');
  assert.equal(findings[0]!.evidence[0]!.kind, 'bound_shell');
  assert.equal(findings[0]!.evidence[0]!.shell, 'cmd');
});

test('shell answers: a bare prompt counts once a command sent to it is answered', () => {
  const prompt: BuiltTurn = { direction: 'to_client', at: 0, data: '\r\nC:\\WINNT\\system32>' };
  assert.equal(findShellAnswer(conversation('10.1.1.1:4444', [prompt])), null, 'a prompt alone could be any text');
  const answered = findShellAnswer(
    conversation('10.1.1.1:4444', [prompt, { direction: 'to_server', at: 1, data: 'start evil.exe\n' }, { direction: 'to_client', at: 1.1, data: 'start evil.exe\n' }]),
  );
  assert.equal(answered?.shell, 'cmd');
  assert.equal(answered?.command, 'start evil.exe');
});

test('shell answers: an sh prompt answering a command, and a prompt-less reverse shell', () => {
  const sh = findShellAnswer(
    conversation('10.1.1.1:31337', [
      { direction: 'to_client', at: 0, data: 'sh-4.2$ ' },
      { direction: 'to_server', at: 1, data: 'uname -a\n' },
      { direction: 'to_client', at: 1.1, data: 'Linux box 3.10.0 x86_64 GNU/Linux\nsh-4.2$ ' },
    ]),
  );
  assert.equal(sh?.shell, 'sh');
  assert.equal(sh?.shellSide, 'server');
  // the victim connected out; the attacker's listener types first
  const reverse = builtSession({
    client: '10.1.1.1:50000',
    server: '10.9.9.9:9001',
    start: 0,
    turns: [
      { direction: 'to_client', at: 0, data: 'id\n' },
      { direction: 'to_server', at: 0.1, data: 'uid=1000(tomcat) gid=1000(tomcat)\n' },
    ],
  });
  const findings = new HostCompromiseDetector().observe(reverse);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.hostIp, '10.1.1.1');
  assert.equal(findings[0]!.attackerIp, '10.9.9.9');
  assert.equal(findings[0]!.evidence[0]!.kind, 'reverse_shell');
});

test('shell answers: remote-shell services and line protocols are not infections', () => {
  const telnet = conversation('10.1.1.1:23', [
    { direction: 'to_client', at: 0, data: 'C:\\>' },
    { direction: 'to_server', at: 1, data: 'dir\n' },
    { direction: 'to_client', at: 1.1, data: ' Volume in drive C has no label.\r\n' },
  ]);
  assert.equal(findShellAnswer(telnet), null);
  const ftp = conversation('10.1.1.1:21', [
    { direction: 'to_client', at: 0, data: '220 ready\r\n' },
    { direction: 'to_server', at: 1, data: 'pwd\r\n' },
    { direction: 'to_client', at: 1.1, data: '257 "/" is the current directory\r\n' },
  ]);
  assert.equal(findShellAnswer(ftp), null);
  const http = conversation('10.1.1.1:80', [
    { direction: 'to_server', at: 0, data: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' },
    { direction: 'to_client', at: 0.1, data: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n$ ' },
  ]);
  assert.equal(findShellAnswer(http), null);
});
