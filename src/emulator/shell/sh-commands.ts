/**
 * The programs an emulated sh finds (coreutils/BusyBox behaviour, briefly): what injections run
 * to look around, drop files and reach out. The shell's own builtins (cd, export, sh -c, exec,
 * eval, …) live in the interpreter, which holds the state they change.
 */
import type { CommandInvocation, ShellCommand } from './command-invocation.ts';
import { failed, succeeded, type CommandOutput } from './command-output.ts';
import { netcat, scriptInterpreter, socat, telnet } from './connection-commands.ts';
import { curl, ftpget, tftp, wget } from './download-commands.ts';
import { MAX_PINGS, ping, resolveName } from './network-actions.ts';

const latin1 = new TextDecoder('latin1');
const encoder = new TextEncoder();

function echo(invocation: CommandInvocation): CommandOutput {
  const words = invocation.argv.slice(1);
  let newline = true;
  let escapes = false;
  while (words.length > 0 && /^-[neE]+$/.test(words[0]!)) {
    const flags = words.shift()!;
    if (flags.includes('n')) newline = false;
    if (flags.includes('e')) escapes = true;
  }
  let text = words.join(' ');
  if (escapes) text = unescape(text);
  return succeeded(text + (newline ? '\n' : ''));
}

function printf(invocation: CommandInvocation): CommandOutput {
  const [format = '', ...values] = invocation.argv.slice(1);
  let index = 0;
  const text = unescape(format).replace(/%[-0-9.]*([sdbxc%])/g, (_match, conversion: string) => {
    if (conversion === '%') return '%';
    const value = values[index++] ?? '';
    return conversion === 'b' ? unescape(value) : value;
  });
  return succeeded(text);
}

/** echo -e / printf escapes: `\x41`, `\101`, `\n` (how droppers write binaries with echo) */
function unescape(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{1,2}|0?[0-7]{1,3}|.)/g, (_match, escape: string) => {
    if (escape.startsWith('x')) return String.fromCharCode(parseInt(escape.slice(1), 16));
    if (/^[0-7]+$/.test(escape)) return String.fromCharCode(parseInt(escape, 8) & 0xff);
    return { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', f: '\f', v: '\v', '\\': '\\', c: '' }[escape] ?? `\\${escape}`;
  });
}

function cat(invocation: CommandInvocation): CommandOutput {
  const files = invocation.argv.slice(1).filter((argument) => !argument.startsWith('-') || argument === '-');
  if (files.length === 0) return succeeded(invocation.stdin);
  let stdout = '';
  let stderr = '';
  for (const file of files) {
    if (file === '-') {
      stdout += invocation.stdin;
      continue;
    }
    const bytes = invocation.run.readFile(file) ?? systemFile(invocation, file);
    if (bytes === undefined) stderr += `cat: ${file}: No such file or directory\n`;
    else stdout += latin1.decode(bytes);
  }
  return { stdout, stderr, status: stderr === '' ? 0 : 1 };
}

/** the few system files reconnaissance reads; all fake */
function systemFile(invocation: CommandInvocation, file: string): Uint8Array | undefined {
  const environment = invocation.run.environment;
  const user = environment.get('USER') ?? 'root';
  const files: Record<string, string> = {
    '/etc/passwd': `root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n${user === 'root' ? '' : `${user}:x:1000:1000::/home/${user}:/bin/sh\n`}`,
    '/etc/hostname': `${environment.get('HOSTNAME') ?? 'localhost'}\n`,
    '/proc/version': 'Linux version 3.2.0-4-amd64 (debian-kernel@lists.debian.org) (gcc version 4.6.3 (Debian 4.6.3-14) ) #1 SMP Debian 3.2.51-1\n',
    '/proc/cpuinfo': 'processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU E5-2630 v2 @ 2.60GHz\n',
  };
  const text = files[invocation.run.resolvePath(file)];
  return text === undefined ? undefined : encoder.encode(text);
}

function chmod(invocation: CommandInvocation): CommandOutput {
  const files = invocation.argv.slice(2);
  const missing = files.filter((file) => !file.startsWith('-') && !invocation.run.fileExists(file));
  return missing.length === 0 ? succeeded() : failed(missing.map((file) => `chmod: ${file}: No such file or directory\n`).join(''));
}

function rm(invocation: CommandInvocation): CommandOutput {
  for (const file of invocation.argv.slice(1).filter((argument) => !argument.startsWith('-'))) invocation.run.deleteFile(file);
  return succeeded();
}

function ls(invocation: CommandInvocation): CommandOutput {
  const directory = invocation.run.resolvePath(invocation.argv.slice(1).find((argument) => !argument.startsWith('-')) ?? '.');
  const prefix = directory.endsWith('/') ? directory : `${directory}/`;
  const names = [...invocation.run.context.files.keys()].filter((path) => path.startsWith(prefix)).map((path) => path.slice(prefix.length).split('/')[0]!);
  return succeeded([...new Set(names)].sort().map((name) => `${name}\n`).join(''));
}

function touch(invocation: CommandInvocation): CommandOutput {
  for (const file of invocation.argv.slice(1).filter((argument) => !argument.startsWith('-'))) {
    if (!invocation.run.fileExists(file)) invocation.run.writeFile(file, new Uint8Array(0));
  }
  return succeeded();
}

function copy(invocation: CommandInvocation, move: boolean): CommandOutput {
  const [source, destination] = invocation.argv.slice(1).filter((argument) => !argument.startsWith('-'));
  if (!source || !destination) return failed(`${invocation.argv[0]}: missing file operand\n`);
  const bytes = invocation.run.readFile(source);
  if (!bytes) return failed(`${invocation.argv[0]}: can't stat '${source}': No such file or directory\n`);
  invocation.run.writeFile(destination, bytes);
  if (move) invocation.run.deleteFile(source);
  return succeeded();
}

function id(invocation: CommandInvocation): CommandOutput {
  const user = invocation.run.environment.get('USER') ?? 'root';
  return succeeded(user === 'root' ? 'uid=0(root) gid=0(root) groups=0(root)\n' : `uid=33(${user}) gid=33(${user}) groups=33(${user})\n`);
}

function uname(invocation: CommandInvocation): CommandOutput {
  const environment = invocation.run.environment;
  const flags = invocation.argv.slice(1).join('');
  const kernel = environment.get('KERNEL_RELEASE') ?? '3.2.0-4-amd64';
  const machine = environment.get('MACHINE') ?? 'x86_64';
  if (flags.includes('a')) return succeeded(`Linux ${environment.get('HOSTNAME') ?? 'localhost'} ${kernel} #1 SMP Debian 3.2.51-1 ${machine} GNU/Linux\n`);
  if (flags.includes('m')) return succeeded(`${machine}\n`);
  if (flags.includes('r')) return succeeded(`${kernel}\n`);
  return succeeded('Linux\n');
}

function pingCommand(invocation: CommandInvocation): CommandOutput {
  const { argv } = invocation;
  let count = MAX_PINGS;
  let size = 56;
  let host: string | null = null;
  for (let index = 1; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '-c') count = Number(argv[++index]) || 1;
    else if (argument === '-s') size = Number(argv[++index]) || 56;
    else if (/^-[WwiItpQ]$/.test(argument)) index++;
    else if (!argument.startsWith('-')) host = argument;
  }
  if (!host) return failed('ping: usage error: Destination address required\n', 2);
  const address = resolveName(invocation.run, host);
  if (address === null) return failed(`ping: unknown host ${host}\n`, 2);
  const sent = Math.min(count, MAX_PINGS);
  const replies = ping(invocation.run, address, sent, size);
  return { stdout: `PING ${host} (${address}): ${size} data bytes\n\n--- ${host} ping statistics ---\n${sent} packets transmitted, ${replies} packets received, ${Math.round(((sent - replies) / sent) * 100)}% packet loss\n`, stderr: '', status: replies > 0 ? 0 : 1 };
}

function base64(invocation: CommandInvocation): CommandOutput {
  const decode = invocation.argv.some((argument) => argument === '-d' || argument === '--decode' || argument === '-D');
  const file = invocation.argv.slice(1).find((argument) => !argument.startsWith('-'));
  const input = file ? latin1.decode(invocation.run.readFile(file) ?? new Uint8Array(0)) : invocation.stdin;
  return succeeded(decode ? Buffer.from(input.replace(/\s+/g, ''), 'base64').toString('latin1') : `${Buffer.from(input, 'latin1').toString('base64')}\n`);
}

const constant = (text: string, status = 0): ShellCommand => () => ({ stdout: text, stderr: '', status });

export const SH_COMMANDS: ReadonlyMap<string, ShellCommand> = new Map<string, ShellCommand>([
  ['echo', echo],
  ['printf', printf],
  ['cat', cat],
  ['chmod', chmod],
  ['chown', constant('')],
  ['rm', rm],
  ['mkdir', constant('')],
  ['ls', ls],
  ['touch', touch],
  ['cp', (invocation) => copy(invocation, false)],
  ['mv', (invocation) => copy(invocation, true)],
  ['id', id],
  ['whoami', (invocation) => succeeded(`${invocation.run.environment.get('USER') ?? 'root'}\n`)],
  ['hostname', (invocation) => succeeded(`${invocation.run.environment.get('HOSTNAME') ?? 'localhost'}\n`)],
  ['uname', uname],
  ['ping', pingCommand],
  ['wget', wget],
  ['curl', curl],
  ['tftp', tftp],
  ['ftpget', ftpget],
  ['nc', netcat],
  ['ncat', netcat],
  ['netcat', netcat],
  ['socat', socat],
  ['telnet', telnet],
  ['python', scriptInterpreter],
  ['python2', scriptInterpreter],
  ['python3', scriptInterpreter],
  ['perl', scriptInterpreter],
  ['php', scriptInterpreter],
  ['ruby', scriptInterpreter],
  ['node', scriptInterpreter],
  ['lua', scriptInterpreter],
  ['base64', base64],
  [
    'sleep',
    (invocation) => {
      // sleep 1, sleep 0.5, sleep 2m: coreutils suffixes s/m/h/d; anything else sleeps not at all
      const seconds = invocation.argv.slice(1).reduce((total, argument) => {
        const match = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(argument);
        if (!match) return total;
        const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
        return total + Number(match[1]) * unit;
      }, 0);
      invocation.run.context.sleep?.(Math.min(seconds, 30 * 86_400) * 1000);
      return succeeded('');
    },
  ],
  ['kill', constant('')],
  ['killall', constant('')],
  ['pkill', constant('')],
  ['mkfifo', (invocation) => {
    for (const file of invocation.argv.slice(1).filter((argument) => !argument.startsWith('-'))) invocation.run.writeFile(file, new Uint8Array(0));
    return succeeded();
  }],
  ['ps', constant('  PID USER       VSZ STAT COMMAND\n    1 root      1340 S    init\n  212 root      1124 S    /usr/sbin/httpd\n')],
  ['uptime', constant(' 09:00:00 up 12 days,  3:04,  0 users,  load average: 0.00, 0.01, 0.05\n')],
  ['true', constant('')],
  ['false', constant('', 1)],
  ['history', constant('')],
  ['crontab', constant('')],
  ['iptables', constant('')],
  ['ulimit', constant('')],
  ['head', (invocation) => succeeded(invocation.stdin.split('\n').slice(0, 10).join('\n'))],
  ['tail', (invocation) => succeeded(invocation.stdin.split('\n').slice(-10).join('\n'))],
  ['grep', (invocation) => {
    const pattern = invocation.argv.slice(1).find((argument) => !argument.startsWith('-')) ?? '';
    return succeeded(invocation.stdin.split('\n').filter((line) => line.includes(pattern)).map((line) => `${line}\n`).join(''));
  }],
  ['tr', (invocation) => succeeded(invocation.stdin)],
  ['rev', (invocation) => succeeded(invocation.stdin.split('\n').map((line) => [...line].reverse().join('')).join('\n'))],
  ['xxd', (invocation) => {
    if (!invocation.argv.includes('-r')) return succeeded(invocation.stdin);
    const hex = invocation.stdin.replace(/[^0-9a-fA-F]/g, '');
    return succeeded(Buffer.from(hex.slice(0, hex.length - (hex.length % 2)), 'hex').toString('latin1'));
  }],
]);
