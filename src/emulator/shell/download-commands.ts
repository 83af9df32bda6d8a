/**
 * The downloaders attackers reach for: wget, curl, tftp (busybox and Windows), ftp -s:script,
 * busybox ftpget, certutil, bitsadmin, and the URL-taking Windows programs (mshta, regsvr32 /i).
 * Each fetches through the endpoint and saves what arrives as a file of the dummy.
 */
import { urlFileName, parseHttpUrl } from '../services/http/http-url.ts';
import type { CommandInvocation } from './command-invocation.ts';
import { failed, succeeded, type CommandOutput } from './command-output.ts';
import { ftpSession, httpDownload, tftpGet } from './network-actions.ts';

const latin1 = new TextDecoder('latin1');

function saveDownload(invocation: CommandInvocation, path: string, body: Uint8Array): string {
  return invocation.run.writeFile(path, body);
}

export function wget(invocation: CommandInvocation): CommandOutput {
  const { argv } = invocation;
  let output: string | null = null;
  let directory: string | null = null;
  const urls: string[] = [];
  for (let index = 1; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '-O' || argument === '--output-document') output = argv[++index] ?? null;
    else if (argument.startsWith('-O') && argument.length > 2) output = argument.slice(2);
    else if (argument.startsWith('--output-document=')) output = argument.slice(18);
    else if (argument === '-P') directory = argv[++index] ?? null;
    else if (/^-[UTtYe]$/.test(argument) || argument === '--user-agent' || argument === '-o') index++;
    else if (!argument.startsWith('-')) urls.push(argument);
  }
  if (urls.length === 0) return failed('wget: missing URL\nUsage: wget [OPTION]... [URL]...\n');
  let stdout = '';
  let stderr = '';
  for (const url of urls.slice(0, 8)) {
    const result = httpDownload(invocation.run, url, 'Wget/1.20.3 (linux-gnu)');
    if (!result.valid) {
      stderr += `wget: bad address '${url}'\n`;
      continue;
    }
    const parsed = parseHttpUrl(url)!;
    if (result.address === null) {
      stderr += `wget: bad address '${parsed.host}'\n`;
      continue;
    }
    stderr += `Connecting to ${parsed.host} (${result.address}:${parsed.port})\n`;
    if (!result.connected) {
      stderr += `wget: can't connect to remote host (${result.address}): Connection refused\n`;
      continue;
    }
    if (result.status === null || result.status >= 400) {
      stderr += result.status === null ? 'wget: error getting response\n' : `wget: server returned error: HTTP/1.1 ${result.status}\n`;
      continue;
    }
    if (output === '-') stdout += latin1.decode(result.body);
    else {
      const name = output ?? `${directory ? `${directory}/` : ''}${urlFileName(parsed)}`;
      saveDownload(invocation, name, result.body);
      stderr += `saving to '${name}'\n'${name}' saved\n`;
    }
  }
  return { stdout, stderr, status: stderr.includes("can't") || stderr.includes('error') || stderr.includes('bad address') ? 1 : 0 };
}

export function curl(invocation: CommandInvocation): CommandOutput {
  const { argv } = invocation;
  let output: string | null = null;
  let remoteName = false;
  const urls: string[] = [];
  for (let index = 1; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '-o' || argument === '--output') output = argv[++index] ?? null;
    else if (argument === '-O' || argument === '--remote-name') remoteName = true;
    else if (/^-[A-Za-z]*o$/.test(argument)) output = argv[++index] ?? null;
    else if (/^-[A-Za-z]*O[A-Za-z]*$/.test(argument)) remoteName = true;
    else if (/^-(A|H|d|X|u|e|b|c|m|x|-user-agent|-header|-data|-request|-max-time|-connect-timeout)$/.test(argument)) index++;
    else if (!argument.startsWith('-')) urls.push(argument);
  }
  if (urls.length === 0) return failed("curl: try 'curl --help' or 'curl --manual' for more information\n", 2);
  let stdout = '';
  let stderr = '';
  let status = 0;
  for (const url of urls.slice(0, 8)) {
    const result = httpDownload(invocation.run, url, 'curl/7.68.0');
    const parsed = parseHttpUrl(url);
    if (!result.valid || !parsed) {
      stderr += `curl: (3) URL using bad/illegal format or missing URL\n`;
      status = 3;
    } else if (result.address === null) {
      stderr += `curl: (6) Could not resolve host: ${parsed.host}\n`;
      status = 6;
    } else if (!result.connected) {
      stderr += `curl: (7) Failed to connect to ${parsed.host} port ${parsed.port}: Connection refused\n`;
      status = 7;
    } else if (result.status === null) {
      stderr += 'curl: (52) Empty reply from server\n';
      status = 52;
    } else if (output !== null || remoteName) saveDownload(invocation, output ?? urlFileName(parsed), result.body);
    else stdout += latin1.decode(result.body);
  }
  return { stdout, stderr, status };
}

/**
 * busybox `tftp -g -r remote [-l local] host [port]`; Windows `tftp -i host GET remote [local]`;
 * tftp-hpa `tftp host -c get remote [local]` (IoT droppers), whose `-c` only introduces the verb.
 */
export function tftp(invocation: CommandInvocation): CommandOutput {
  const { argv } = invocation;
  let remote: string | null = null;
  let local: string | null = null;
  const positional: string[] = [];
  for (let index = 1; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '-r') remote = argv[++index] ?? null;
    else if (argument === '-l') local = argv[++index] ?? null;
    else if (/^-[gpiIc]+$/i.test(argument) || argument === '-b') {
      if (argument === '-b') index++;
    } else positional.push(argument);
  }
  let host: string | undefined;
  let port = 69;
  if (remote === null) {
    // Windows form: host GET source [destination]
    const verb = positional.findIndex((word) => /^get$/i.test(word));
    if (verb < 1) return failed('usage: tftp [-i] host [GET | PUT] source [destination]\n');
    host = positional[verb - 1];
    remote = positional[verb + 1] ?? null;
    local = positional[verb + 2] ?? null;
  } else {
    host = positional[0];
    if (positional[1] && /^\d+$/.test(positional[1])) port = Number(positional[1]);
  }
  if (!host || !remote) return failed('tftp: missing host or file\n');
  const result = tftpGet(invocation.run, host, remote, port);
  if (result.address === null) return failed(`tftp: bad address '${host}'\n`);
  if (!result.bytes) return failed(invocation.run.kind === 'cmd' ? 'Timeout occurred\r\nConnect request failed\r\n' : 'tftp: timeout\n');
  const saved = invocation.run.writeFile(local ?? remote.split(/[\\/]/).pop()!, result.bytes);
  return succeeded(invocation.run.kind === 'cmd' ? `Transfer successful: ${result.bytes.length} bytes in 1 second(s).\r\n` : `${saved}\n`);
}

/** Windows `ftp [-n] [-i] -s:script [host]`: the script's open/user/get lines run as typed */
export function ftp(invocation: CommandInvocation): CommandOutput {
  const { run, argv } = invocation;
  const scriptArgument = argv.find((argument) => /^-s:/i.test(argument));
  const hostArgument = argv.slice(1).find((argument) => !argument.startsWith('-'));
  const lines = scriptArgument ? latin1.decode(run.readFile(scriptArgument.slice(3)) ?? new Uint8Array(0)).split(/\r?\n/) : invocation.stdin.split(/\r?\n/);
  const autoLogin = !argv.some((argument) => /^-n$/i.test(argument));
  let host = hostArgument ?? null;
  let port = 21;
  let user = 'anonymous';
  let password = 'guest';
  const retrieve: string[] = [];
  const credentials: string[] = [];
  for (const raw of lines.slice(0, 256)) {
    const words = raw.trim().split(/\s+/).filter((word) => word !== '');
    if (words.length === 0) continue;
    const verb = words[0]!.toLowerCase();
    if (verb === 'open' || verb === 'o') {
      host = words[1] ?? host;
      if (words[2] && /^\d+$/.test(words[2])) port = Number(words[2]);
    } else if (verb === 'user') {
      user = words[1] ?? user;
      password = words[2] ?? password;
    } else if (['get', 'recv', 'mget'].includes(verb)) retrieve.push(...words.slice(1, verb === 'mget' ? undefined : 2));
    else if (['bye', 'quit', 'close', 'disconnect'].includes(verb)) break;
    else if (!['binary', 'bin', 'ascii', 'type', 'prompt', 'hash', 'lcd', 'cd', 'put', 'send', 'literal', 'quote'].includes(verb) && autoLogin && host && credentials.length < 2) {
      // with auto-login the first lines after open are the user name and the password
      credentials.push(words[0]!);
    }
  }
  if (credentials[0]) user = credentials[0];
  if (credentials[1]) password = credentials[1];
  if (!host) return failed('Not connected.\r\n');
  const transfer = ftpSession(run, host, port, user, password, retrieve);
  if (transfer.address === null) return failed(`Unknown host ${host}.\r\n`);
  let stdout = `Connected to ${host}.\r\n`;
  for (const [name, bytes] of transfer.files) {
    run.writeFile(name.split(/[\\/]/).pop()!, bytes);
    stdout += `ftp: ${bytes.length} bytes received.\r\n`;
  }
  return succeeded(stdout);
}

/** busybox `ftpget [-u user] [-p pass] [-P port] host local remote` */
export function ftpget(invocation: CommandInvocation): CommandOutput {
  const { argv } = invocation;
  let user = 'anonymous';
  let password = 'busybox@';
  let port = 21;
  const positional: string[] = [];
  for (let index = 1; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '-u') user = argv[++index] ?? user;
    else if (argument === '-p') password = argv[++index] ?? password;
    else if (argument === '-P') port = Number(argv[++index] ?? 21) || 21;
    else if (!argument.startsWith('-')) positional.push(argument);
  }
  const [host, local, remote] = positional;
  if (!host || !local) return failed('Usage: ftpget [OPTIONS] HOST [LOCAL_FILE] REMOTE_FILE\n');
  const transfer = ftpSession(invocation.run, host, port, user, password, [remote ?? local]);
  if (transfer.address === null) return failed(`ftpget: bad address '${host}'\n`);
  for (const bytes of transfer.files.values()) invocation.run.writeFile(local, bytes);
  return transfer.files.size > 0 ? succeeded() : failed("ftpget: can't connect to remote host\n");
}

/** `certutil -urlcache -split -f URL [file]` */
export function certutil(invocation: CommandInvocation): CommandOutput {
  const url = invocation.argv.find((argument) => /^https?:\/\//i.test(argument));
  if (!url) return succeeded('CertUtil: -dump command completed successfully.\r\n');
  const after = invocation.argv.slice(invocation.argv.indexOf(url) + 1).find((argument) => !argument.startsWith('-'));
  return windowsDownload(invocation, url, after ?? null, 'Microsoft-CryptoAPI/6.1', '****  Online  ****\r\nCertUtil: -URLCache command completed successfully.\r\n');
}

/** `bitsadmin /transfer name [/download] [/priority p] URL path` */
export function bitsadmin(invocation: CommandInvocation): CommandOutput {
  const url = invocation.argv.find((argument) => /^https?:\/\//i.test(argument));
  if (!url) return succeeded('BITSADMIN version 3.0\r\n');
  const after = invocation.argv.slice(invocation.argv.indexOf(url) + 1).find((argument) => !argument.startsWith('/'));
  return windowsDownload(invocation, url, after ?? null, 'Microsoft BITS/7.5', 'Transfer complete.\r\n');
}

/** mshta URL, regsvr32 /i:URL scrobj.dll, msiexec /i URL: the program fetches the URL itself */
export function urlLauncher(invocation: CommandInvocation): CommandOutput {
  const url = /https?:\/\/[^\s"']+/i.exec(invocation.rawArguments)?.[0];
  if (!url) return succeeded();
  return windowsDownload(invocation, url, null, 'Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1)', '');
}

function windowsDownload(invocation: CommandInvocation, url: string, path: string | null, userAgent: string, success: string): CommandOutput {
  const result = httpDownload(invocation.run, url, userAgent);
  const parsed = parseHttpUrl(url);
  if (!result.valid || !parsed || result.address === null || !result.connected || result.status === null) {
    return failed('ERROR_INTERNET_CANNOT_CONNECT\r\n');
  }
  invocation.run.writeFile(path ?? urlFileName(parsed), result.body);
  return succeeded(success);
}
