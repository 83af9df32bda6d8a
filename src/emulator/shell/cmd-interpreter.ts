/**
 * Runs cmd.exe command lines: `&`, `&&`, `||`, pipes, groups, redirections to files, the
 * builtins (echo, set, cd, type, del, start, cmd /c …), the Windows programs droppers use
 * (tftp, ftp -s, ping, powershell, certutil, bitsadmin, net, …) and executables the attack
 * dropped (observed as processes).
 */
import type { CommandInvocation, ShellCommand } from './command-invocation.ts';
import { failed, succeeded, type CommandOutput } from './command-output.ts';
import { expandCmdVariables, parseCmd, removeCaretEscapes, splitCmdWords, type CmdCommand, type CmdList, type CmdRedirect } from './cmd-parser.ts';
import { netcat } from './connection-commands.ts';
import { bitsadmin, certutil, ftp, tftp, urlLauncher } from './download-commands.ts';
import { MAX_PINGS, ping, resolveName } from './network-actions.ts';
import { powershell } from './powershell.ts';
import type { ShellRun } from './shell-run.ts';

const latin1 = new TextDecoder('latin1');
/** where a stream goes: the caller's stdout or stderr, or a file */
type Sink = 'stdout' | 'stderr' | CmdRedirect;
const EXECUTABLE_EXTENSIONS = ['', '.exe', '.com', '.bat', '.cmd', '.vbs', '.ps1'];

export class CmdInterpreter {
  private lastStatus = 0;

  constructor(private readonly run: ShellRun) {}

  runLine(line: string, stdin: string): CommandOutput {
    const expanded = expandCmdVariables(line.slice(0, this.run.limits.maxLineLength), this.run.environment);
    const output = { stdout: '', stderr: '' };
    this.runList(parseCmd(expanded), stdin, output);
    return { ...output, status: this.lastStatus };
  }

  private runList(list: CmdList, stdin: string, output: { stdout: string; stderr: string }): void {
    for (const { joiner, pipeline } of list) {
      if (this.run.exhausted) return;
      if (joiner === '&&' && this.lastStatus !== 0) continue;
      if (joiner === '||' && this.lastStatus === 0) continue;
      let input = stdin;
      pipeline.commands.forEach((command, index) => {
        const result = this.runCommand(command, input);
        output.stderr += result.stderr;
        if (index === pipeline.commands.length - 1) output.stdout += result.stdout;
        else input = result.stdout;
      });
      if (output.stdout.length > this.run.limits.maxOutput) output.stdout = output.stdout.slice(0, this.run.limits.maxOutput);
      if (output.stderr.length > this.run.limits.maxOutput) output.stderr = output.stderr.slice(0, this.run.limits.maxOutput);
    }
  }

  private runCommand(command: CmdCommand, stdin: string): CommandOutput {
    const input = command.redirects.find((redirect) => redirect.operator === '<');
    const effectiveStdin = input ? latin1.decode(this.run.readFile(input.target) ?? new Uint8Array(0)) : stdin;
    let result: CommandOutput;
    if (command.kind === 'group') {
      const output = { stdout: '', stderr: '' };
      this.runList(command.body, effectiveStdin, output);
      result = { ...output, status: this.lastStatus };
    } else result = this.runSimple(command.text, effectiveStdin);
    this.lastStatus = result.status;
    return this.route(result, command.redirects);
  }

  private route(result: CommandOutput, redirects: CmdRedirect[]): CommandOutput {
    let stdout: Sink = 'stdout';
    let stderr: Sink = 'stderr';
    for (const redirect of redirects) {
      if (redirect.operator === '<') continue;
      if (redirect.operator === '>&') {
        const source: Sink | null = redirect.target === '1' ? stdout : redirect.target === '2' ? stderr : null;
        if (source !== null) {
          if (redirect.descriptor === 2) stderr = source;
          else stdout = source;
        }
        continue;
      }
      if (redirect.descriptor === 2) stderr = redirect;
      else stdout = redirect;
    }
    const routed: CommandOutput = { stdout: '', stderr: '', status: result.status };
    const written = new Set<CmdRedirect>();
    const deliver = (text: string, sink: Sink) => {
      if (sink === 'stdout') routed.stdout += text;
      else if (sink === 'stderr') routed.stderr += text;
      else if (!/^nul$/i.test(sink.target)) {
        this.run.writeFile(sink.target, latin1Bytes(text), sink.operator === '>>' || written.has(sink));
        written.add(sink);
      }
    };
    deliver(result.stdout, stdout);
    deliver(result.stderr, stderr);
    return routed;
  }

  private runSimple(text: string, stdin: string): CommandOutput {
    const trimmed = text.replace(/^[\s@]+/, '');
    const nameMatch = /^("[^"]*"|[^\s"/]+(?:"[^"]*")?[^\s"/]*)/.exec(trimmed);
    if (!nameMatch) return succeeded();
    const name = removeCaretEscapes(nameMatch[1]!).replace(/"/g, '');
    const rawArguments = trimmed.slice(nameMatch[1]!.length).replace(/^ /, '');
    if (!this.run.takeCommand()) return succeeded();
    this.run.exec('cmd', trimmed.trimEnd());
    const argv = [name, ...splitCmdWords(rawArguments)];
    const invocation: CommandInvocation = { run: this.run, argv, stdin, rawArguments };
    const base = name.toLowerCase().split('\\').pop()!.replace(/\.(exe|com)$/, '');
    const builtin = this.builtin(base, invocation);
    if (builtin) return builtin;
    const dropped = this.droppedFile(name);
    if (dropped) return this.runDropped(dropped, invocation);
    const program = CMD_PROGRAMS.get(base);
    if (program) return program(invocation);
    return failed(`'${name.slice(0, 256)}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n`, 9009);
  }

  private builtin(base: string, invocation: CommandInvocation): CommandOutput | null {
    const { rawArguments, argv } = invocation;
    switch (base) {
      case 'echo':
      case 'echo.':
        if (/^\s*(on|off)\s*$/i.test(rawArguments)) return succeeded();
        return succeeded(`${removeCaretEscapes(base === 'echo.' ? '' : rawArguments)}\r\n`);
      case 'rem':
      case 'cls':
      case 'title':
      case 'color':
      case 'setlocal':
      case 'endlocal':
      case 'pause':
        return succeeded();
      case 'set': {
        const assignment = removeCaretEscapes(rawArguments).replace(/^\/[ap]\s+/i, '').replace(/^"|"$/g, '');
        const equals = assignment.indexOf('=');
        if (equals > 0) this.run.environment.set(assignment.slice(0, equals), assignment.slice(equals + 1));
        return succeeded();
      }
      case 'cd':
      case 'chdir':
        if (argv[1]) this.run.cwd = this.run.resolvePath(argv.slice(1).filter((argument) => !/^\/d$/i.test(argument)).join(' '));
        return succeeded(argv[1] ? '' : `${this.run.cwd}\r\n`);
      case 'type': {
        const bytes = argv[1] ? this.run.readFile(argv[1]) : undefined;
        return bytes ? succeeded(latin1.decode(bytes)) : failed('The system cannot find the file specified.\r\n');
      }
      case 'del':
      case 'erase':
        for (const file of argv.slice(1).filter((argument) => !argument.startsWith('/'))) this.run.deleteFile(file);
        return succeeded();
      case 'md':
      case 'mkdir':
      case 'rd':
      case 'rmdir':
      case 'attrib':
        return succeeded();
      case 'copy':
      case 'move': {
        const [source, destination] = argv.slice(1).filter((argument) => !argument.startsWith('/'));
        const bytes = source ? this.run.readFile(source) : undefined;
        if (!bytes || !destination) return failed('The system cannot find the file specified.\r\n');
        this.run.writeFile(destination, bytes);
        if (base === 'move') this.run.deleteFile(source!);
        return succeeded('        1 file(s) copied.\r\n');
      }
      case 'dir':
        return succeeded(` Directory of ${this.run.cwd}\r\n\r\n${[...this.run.context.files.keys()].filter((path) => path.toLowerCase().startsWith(`${this.run.cwd.toLowerCase()}\\`)).map((path) => `${path.split('\\').pop()}\r\n`).join('')}`);
      case 'ver':
        return succeeded(`\r\nMicrosoft Windows [Version ${this.run.environment.get('OS_VERSION') ?? '5.1.2600'}]\r\n`);
      case 'exit':
        this.run.exhausted = true;
        return succeeded();
      case 'cmd':
        return this.nestedCmd(rawArguments, invocation.stdin);
      case 'start':
        return this.start(rawArguments, invocation.stdin);
      case 'call':
        return this.nestedLine(rawArguments, invocation.stdin);
      default:
        return null;
    }
  }

  /** `cmd /c line`, `cmd /k line`, `cmd < script` */
  private nestedCmd(rawArguments: string, stdin: string): CommandOutput {
    const match = /(?:^|\s)\/[ckCK]\s*(.*)$/s.exec(rawArguments);
    if (!match) return stdin === '' ? succeeded() : this.nestedLine(stdin.replace(/\r?\n/g, ' & '), '');
    let line = match[1]!.trim();
    if (line.startsWith('"') && line.endsWith('"')) line = line.slice(1, -1);
    return this.nestedLine(line, stdin);
  }

  /** `start ["title"] [/b /min /wait] program args` */
  private start(rawArguments: string, stdin: string): CommandOutput {
    let rest = rawArguments.trim();
    if (rest.startsWith('"')) rest = rest.slice(rest.indexOf('"', 1) + 1).trim();
    while (/^\/\w+/.test(rest)) rest = rest.replace(/^\/\w+\s*/, '');
    return rest === '' ? succeeded() : this.nestedLine(rest, stdin);
  }

  private nestedLine(line: string, stdin: string): CommandOutput {
    if (this.run.depth >= this.run.limits.maxDepth) {
      this.run.exhausted = true;
      return failed('The command line is too deeply nested.\r\n');
    }
    this.run.depth++;
    try {
      return new CmdInterpreter(this.run).runLine(line, stdin);
    } finally {
      this.run.depth--;
    }
  }

  private droppedFile(name: string): string | null {
    for (const extension of EXECUTABLE_EXTENSIONS) if (this.run.fileExists(`${name}${extension}`)) return `${name}${extension}`;
    return null;
  }

  private runDropped(path: string, invocation: CommandInvocation): CommandOutput {
    const resolved = this.run.resolvePath(path);
    if (/\.(bat|cmd)$/i.test(path)) {
      const script = latin1.decode(this.run.readFile(path)!);
      const lines = script.split(/\r?\n/).filter((line) => line.trim() !== '');
      let stdout = '';
      for (const line of lines.slice(0, this.run.limits.maxCommands)) stdout += this.nestedLine(line, invocation.stdin).stdout;
      return succeeded(stdout);
    }
    this.run.exec('process', [resolved, invocation.rawArguments].filter((part) => part !== '').join(' '));
    return succeeded();
  }
}

function windowsPing(invocation: CommandInvocation): CommandOutput {
  const { argv } = invocation;
  let count = 4;
  let size = 32;
  let host: string | null = null;
  for (let index = 1; index < argv.length; index++) {
    const argument = argv[index]!;
    if (/^[-/]n$/i.test(argument)) count = Number(argv[++index]) || 1;
    else if (/^[-/]l$/i.test(argument)) size = Number(argv[++index]) || 32;
    else if (/^[-/][wi]$/i.test(argument)) index++;
    else if (!/^[-/]/.test(argument)) host = argument;
  }
  if (!host) return failed('IP address must be specified.\r\n');
  const address = resolveName(invocation.run, host);
  if (address === null) return failed(`Ping request could not find host ${host}. Please check the name and try again.\r\n`);
  const sent = Math.min(count, MAX_PINGS);
  const replies = ping(invocation.run, address, sent, size);
  return succeeded(`\r\nPinging ${host} [${address}] with ${size} bytes of data:\r\n${'Request timed out.\r\n'.repeat(sent - replies)}\r\nPing statistics for ${address}:\r\n    Packets: Sent = ${sent}, Received = ${replies}, Lost = ${sent - replies}\r\n`);
}

const constant = (text: string): ShellCommand => () => succeeded(text);

const CMD_PROGRAMS: ReadonlyMap<string, ShellCommand> = new Map<string, ShellCommand>([
  ['ping', windowsPing],
  ['tftp', tftp],
  ['ftp', ftp],
  ['powershell', powershell],
  ['pwsh', powershell],
  ['certutil', certutil],
  ['bitsadmin', bitsadmin],
  ['mshta', urlLauncher],
  ['regsvr32', urlLauncher],
  ['msiexec', urlLauncher],
  ['nc', netcat],
  ['ncat', netcat],
  ['whoami', (invocation) => succeeded(`${(invocation.run.environment.get('COMPUTERNAME') ?? 'DUMMY').toLowerCase()}\\${(invocation.run.environment.get('USERNAME') ?? 'SYSTEM').toLowerCase()}\r\n`)],
  ['hostname', (invocation) => succeeded(`${invocation.run.environment.get('COMPUTERNAME') ?? 'DUMMY'}\r\n`)],
  ['ipconfig', constant('\r\nWindows IP Configuration\r\n\r\nEthernet adapter Local Area Connection:\r\n\r\n        IP Address. . . . . . . . . . . . : 10.0.0.2\r\n        Subnet Mask . . . . . . . . . . . : 255.255.255.0\r\n')],
  ['net', (invocation) => succeeded(/^\s*(user|localgroup)\s+\S+.*\/add/i.test(invocation.rawArguments) ? 'The command completed successfully.\r\n\r\n' : 'The command completed successfully.\r\n')],
  ['net1', constant('The command completed successfully.\r\n')],
  ['netstat', constant('\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State\r\n')],
  ['tasklist', constant('\r\nImage Name                     PID Session Name\r\n========================= ======== ================\r\nSystem Idle Process              0 Console\r\n')],
  ['taskkill', constant('')],
  ['reg', constant('The operation completed successfully.\r\n')],
  ['sc', constant('[SC] ChangeServiceConfig SUCCESS\r\n')],
  ['schtasks', constant('SUCCESS: The scheduled task has successfully been created.\r\n')],
  ['netsh', constant('Ok.\r\n')],
  ['wmic', constant('')],
  ['systeminfo', constant('Host Name:                 DUMMY\r\nOS Name:                   Microsoft Windows\r\n')],
  ['cscript', constant('')],
  ['wscript', constant('')],
  ['rundll32', urlLauncher],
  ['timeout', constant('')],
]);

function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index) & 0xff;
  return bytes;
}
