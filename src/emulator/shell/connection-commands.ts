/**
 * Commands that open connections: nc/ncat/netcat (connect, `-e`, `-l`), socat, telnet, and
 * script interpreters run with a one-liner (python -c, perl -e, php -r, ruby -e, node -e, lua -e)
 * whose reverse shell or download is recognised from the script's shape.
 */
import type { CommandInvocation } from './command-invocation.ts';
import { failed, succeeded, type CommandOutput } from './command-output.ts';
import { connectTcp, httpDownload, listenTcp, sendUdp } from './network-actions.ts';
import { scriptConnectTargets, scriptUrls } from './script-connect-targets.ts';

const encoder = new TextEncoder();

export function netcat(invocation: CommandInvocation): CommandOutput {
  const { argv } = invocation;
  let listen = false;
  let udp = false;
  let listenPort: number | null = null;
  let program: string | null = null;
  const positional: string[] = [];
  for (let index = 1; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '-e' || argument === '-c' || argument === '--exec' || argument === '--sh-exec') program = argv[++index] ?? null;
    else if (argument === '-p') listenPort = Number(argv[++index]);
    else if (/^-(w|i|q|s|x|X|W|T)$/.test(argument)) index++;
    else if (argument.startsWith('-')) {
      if (argument.includes('l')) listen = true;
      if (argument.includes('u')) udp = true;
      if (/p$/.test(argument) && argument.length > 2) listenPort = Number(argv[++index]);
      if (/e$/.test(argument) && argument.length > 2) program = argv[++index] ?? null;
    } else positional.push(argument);
  }
  if (listen) {
    const port = listenPort ?? Number(positional[positional.length - 1]);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) return failed('nc: missing port number\n');
    listenTcp(invocation.run, port);
    return succeeded();
  }
  const [host, portText] = positional;
  const port = Number(portText);
  if (!host || !Number.isInteger(port)) return failed('usage: nc [-46CDdFhklNnrStUuvZz] [-e program] [destination] [port]\n');
  if (udp) {
    sendUdp(invocation.run, host, port, encoder.encode(invocation.stdin));
    return succeeded();
  }
  const result = connectTcp(invocation.run, host, port, program ? undefined : encoder.encode(invocation.stdin));
  if (result.address === null) return failed(`nc: getaddrinfo for host "${host}" port ${port}: Name or service not known\n`);
  if (!result.connected) return failed(`nc: connect to ${host} port ${port} (tcp) failed: Connection refused\n`);
  if (program) invocation.run.exec('process', `${program} (stdio on ${host}:${port})`);
  return succeeded(new TextDecoder('latin1').decode(result.received));
}

/** socat with `tcp:h:p` / `tcp-connect:h:p` / `tcp-listen:p` addresses */
export function socat(invocation: CommandInvocation): CommandOutput {
  for (const argument of invocation.argv.slice(1)) {
    const connect = /^(?:tcp4?|tcp-connect|openssl|ssl):([^:,]+):(\d{1,5})/i.exec(argument);
    if (connect) connectTcp(invocation.run, connect[1]!, Number(connect[2]));
    const listen = /^(?:tcp4?-listen|tcp-l):(\d{1,5})/i.exec(argument);
    if (listen) listenTcp(invocation.run, Number(listen[1]));
  }
  return succeeded();
}

export function telnet(invocation: CommandInvocation): CommandOutput {
  const [, host, portText] = invocation.argv.filter((argument) => !argument.startsWith('-'));
  if (!host) return failed('usage: telnet host [port]\n');
  const result = connectTcp(invocation.run, host, Number(portText ?? 23) || 23, encoder.encode(invocation.stdin));
  if (result.address === null) return failed(`telnet: could not resolve ${host}/${portText ?? 'telnet'}: Name or service not known\n`);
  return succeeded(`Trying ${result.address}...\n${result.connected ? `Connected to ${host}.\n` : ''}`);
}

/** the inline-script flag of each interpreter */
const SCRIPT_FLAGS: Record<string, string[]> = {
  python: ['-c'],
  perl: ['-e', '-E'],
  php: ['-r'],
  ruby: ['-e'],
  node: ['-e', '--eval'],
  lua: ['-e'],
};

export function scriptInterpreter(invocation: CommandInvocation): CommandOutput {
  const name = (invocation.argv[0]!.split('/').pop() ?? '').replace(/[\d.]+$/, '');
  const flags = SCRIPT_FLAGS[name] ?? ['-c', '-e'];
  const flagIndex = invocation.argv.findIndex((argument, index) => index > 0 && flags.some((flag) => argument.startsWith(flag)));
  const flagArgument = flagIndex > 0 ? invocation.argv[flagIndex]! : '';
  // `-e'script'` reaches the program as one argument: the script follows the flag directly
  const attached = flags.find((flag) => flagArgument.startsWith(flag) && flagArgument.length > flag.length);
  let script = flagIndex < 0 ? '' : attached ? flagArgument.slice(attached.length) : (invocation.argv[flagIndex + 1] ?? '');
  if (flagIndex < 0) {
    const file = invocation.argv.slice(1).find((argument) => !argument.startsWith('-'));
    script = file ? new TextDecoder('latin1').decode(invocation.run.readFile(file) ?? new Uint8Array(0)) : invocation.stdin;
  }
  for (const target of scriptConnectTargets(script)) connectTcp(invocation.run, target.host, target.port);
  for (const url of scriptUrls(script)) httpDownload(invocation.run, url, name === 'python' ? 'Python-urllib/3.8' : 'libwww-perl/6.43');
  return succeeded();
}
