/**
 * Runs parsed sh: lists, and-or chains, pipelines (each command's output the next one's input),
 * groups, if/for/while (a `while` body runs at most once: loop-free by design), redirections to
 * files and to /dev/tcp|udp (a connection through the endpoint), builtins, programs from
 * `SH_COMMANDS`, and files the attack dropped (scripts run, binaries observed as processes).
 */
import type { EndpointSocket } from '../behaviour/network-endpoint.ts';
import type { CommandOutput } from './command-output.ts';
import { resolveName } from './network-actions.ts';
import { SH_COMMANDS } from './sh-commands.ts';
import { expandToString, expandWords, type ExpansionScope } from './sh-expansion.ts';
import { parseSh } from './sh-parser.ts';
import type { Redirect, ShAndOr, ShCommand, ShList, ShPipeline } from './sh-syntax.ts';
import type { ShellRun } from './shell-run.ts';

const SHELL_NAMES = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'mksh']);
/** commands that run their arguments as another command */
const WRAPPERS = new Set(['nohup', 'sudo', 'timeout', 'nice', 'setsid', 'command', 'exec', 'env', 'busybox', 'stdbuf', 'time']);
const latin1 = new TextDecoder('latin1');
const encoder = new TextEncoder();

type Sink = { kind: 'stdout' } | { kind: 'stderr' } | { kind: 'null' } | { kind: 'file'; path: string; append: boolean } | { kind: 'socket'; socket: EndpointSocket; udp?: { address: string; port: number } };

export class ShInterpreter {
  private lastStatus = 0;
  private readonly scope: ExpansionScope;

  constructor(
    private readonly run: ShellRun,
    positional: string[] = [],
  ) {
    const environment = run.environment;
    const lastStatus = () => this.lastStatus;
    this.scope = {
      // IFS unset means the default whitespace, which `${IFS}` payloads rely on
      variable: (name) => environment.get(name) ?? (name === 'IFS' ? ' \t\n' : undefined),
      setVariable: (name, value) => void environment.set(name, value),
      substitute: (script) => this.nested(script, '').stdout,
      get lastStatus() {
        return lastStatus();
      },
      positional,
    };
  }

  runScript(text: string, stdin: string): CommandOutput {
    const output = new OutputCollector(this.run.limits.maxOutput);
    this.runList(parseSh(text.slice(0, this.run.limits.maxLineLength)), stdin, output);
    return { stdout: output.stdout, stderr: output.stderr, status: this.lastStatus };
  }

  /** a script run one level deeper (sh -c, $(…), a dropped script), sharing the budget */
  private nested(script: string, stdin: string, positional: string[] = []): CommandOutput {
    if (this.run.depth >= this.run.limits.maxDepth) {
      this.run.exhausted = true;
      return { stdout: '', stderr: 'sh: maximum nesting reached\n', status: 2 };
    }
    this.run.depth++;
    try {
      return new ShInterpreter(this.run, positional).runScript(script, stdin);
    } finally {
      this.run.depth--;
    }
  }

  private runList(list: ShList, stdin: string, output: OutputCollector): void {
    for (const andOr of list) {
      if (this.run.exhausted) return;
      this.runAndOr(andOr, stdin, output);
    }
  }

  private runAndOr(andOr: ShAndOr, stdin: string, output: OutputCollector): void {
    this.runPipeline(andOr.first, stdin, output);
    for (const { operator, pipeline } of andOr.rest) {
      if ((operator === '&&') !== (this.lastStatus === 0)) continue;
      this.runPipeline(pipeline, stdin, output);
    }
  }

  private runPipeline(pipeline: ShPipeline, stdin: string, output: OutputCollector): void {
    let input = stdin;
    for (let index = 0; index < pipeline.commands.length; index++) {
      const last = index === pipeline.commands.length - 1;
      const stage = new OutputCollector(this.run.limits.maxOutput);
      this.runCommand(pipeline.commands[index]!, input, stage);
      output.stderr += stage.stderr;
      if (last) output.stdout += stage.stdout;
      else input = stage.stdout;
    }
    if (pipeline.negated) this.lastStatus = this.lastStatus === 0 ? 1 : 0;
    output.bound();
  }

  private runCommand(command: ShCommand, stdin: string, output: OutputCollector): void {
    const inner = new OutputCollector(this.run.limits.maxOutput);
    const sinks = this.openRedirects(command.redirects);
    const input = sinks.stdin ?? stdin;
    switch (command.kind) {
      case 'simple':
        this.runSimple(command.words, input, inner, sinks.stdinSocket);
        break;
      case 'group':
        this.runList(command.body, input, inner);
        break;
      case 'if': {
        let matched = false;
        for (const clause of command.clauses) {
          this.runList(clause.condition, input, inner);
          if (this.lastStatus === 0) {
            this.runList(clause.body, input, inner);
            matched = true;
            break;
          }
        }
        if (!matched && command.otherwise) this.runList(command.otherwise, input, inner);
        break;
      }
      case 'for': {
        const items = expandWords(command.items, this.scope).slice(0, this.run.limits.maxLoopIterations);
        for (const item of items) {
          if (this.run.exhausted) break;
          this.run.environment.set(command.variable, item);
          this.runList(command.body, input, inner);
        }
        break;
      }
      case 'while':
        this.runList(command.condition, input, inner);
        if ((this.lastStatus === 0) !== command.until) this.runList(command.body, input, inner);
        break;
    }
    this.route(inner, sinks.stdout, sinks.stderr, output);
    const network = this.run.context.network;
    const sockets = new Set([sinks.stdout, sinks.stderr].flatMap((sink) => (sink.kind === 'socket' ? [sink.socket] : [])));
    if (sinks.stdinSocket) sockets.add(sinks.stdinSocket);
    for (const socket of sockets) network.close(socket);
  }

  private runSimple(words: string[], stdin: string, output: OutputCollector, stdinSocket: EndpointSocket | null): void {
    let assignments = 0;
    // assignments before the command name are expanded but never split
    while (assignments < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[assignments]!)) {
      const assignment = words[assignments++]!;
      const equals = assignment.indexOf('=');
      this.run.environment.set(assignment.slice(0, equals), expandToString(assignment.slice(equals + 1), this.scope));
    }
    const fields = expandWords(words.slice(assignments), this.scope);
    if (fields.length === 0) return;
    if (!this.run.takeCommand()) return;
    this.run.exec('sh', fields.join(' '));
    let input = stdin;
    if (stdinSocket && SHELL_NAMES.has(baseName(fields[0]!))) {
      // a reverse shell: the shell reads its commands from the connection
      const received = this.run.context.network.receive(stdinSocket, 65_536);
      input = received.kind === 'data' ? latin1.decode(received.bytes) : '';
    }
    const result = this.invoke(fields, input);
    output.stdout += result.stdout;
    output.stderr += result.stderr;
    this.lastStatus = result.status;
  }

  private invoke(argv: string[], stdin: string): CommandOutput {
    const name = argv[0]!;
    const base = baseName(name);
    if (WRAPPERS.has(base)) return this.wrapper(base, argv, stdin);
    if (SHELL_NAMES.has(base)) return this.shell(argv, stdin);
    const builtin = this.builtin(base, argv, stdin);
    if (builtin) return builtin;
    if (name.includes('/')) {
      const dropped = this.run.readFile(name);
      if (dropped) return this.runDropped(name, dropped, argv, stdin);
    }
    const program = SH_COMMANDS.get(base);
    if (program && (!name.includes('/') || /^\/(usr\/)?(s?bin|local\/bin)\//.test(name))) return program({ run: this.run, argv, stdin, rawArguments: argv.slice(1).join(' ') });
    return { stdout: '', stderr: `sh: ${name.slice(0, 256)}: not found\n`, status: 127 };
  }

  private wrapper(base: string, argv: string[], stdin: string): CommandOutput {
    let rest = argv.slice(1);
    if (base === 'env') while (rest.length > 0 && (rest[0]!.startsWith('-') || rest[0]!.includes('='))) rest = rest.slice(1);
    else if (base === 'timeout') rest = rest.slice(rest.findIndex((argument) => /^\d/.test(argument)) + 1);
    else while (rest.length > 0 && rest[0]!.startsWith('-')) rest = rest.slice(/^-[nu]$/.test(rest[0]!) ? 2 : 1);
    if (rest.length === 0) return { stdout: '', stderr: '', status: 0 };
    return this.invoke(rest, stdin);
  }

  private shell(argv: string[], stdin: string): CommandOutput {
    const commandIndex = argv.findIndex((argument, index) => index > 0 && /^-[a-z]*c[a-z]*$/.test(argument));
    if (commandIndex > 0) return this.nested(argv[commandIndex + 1] ?? '', stdin, argv.slice(commandIndex + 3));
    const file = argv.slice(1).find((argument) => !argument.startsWith('-'));
    if (file) {
      const script = this.run.readFile(file);
      if (!script) return { stdout: '', stderr: `${baseName(argv[0]!)}: ${file}: No such file or directory\n`, status: 127 };
      return this.nested(latin1.decode(script), stdin, argv.slice(argv.indexOf(file) + 1));
    }
    return stdin === '' ? { stdout: '', stderr: '', status: 0 } : this.nested(stdin, '');
  }

  private runDropped(path: string, bytes: Uint8Array, argv: string[], stdin: string): CommandOutput {
    const resolved = this.run.resolvePath(path);
    if (isScript(bytes)) return this.nested(latin1.decode(bytes), stdin, argv.slice(1));
    this.run.exec('process', [resolved, ...argv.slice(1)].join(' '));
    return { stdout: '', stderr: '', status: 0 };
  }

  private builtin(base: string, argv: string[], stdin: string): CommandOutput | null {
    switch (base) {
      case 'cd': {
        const target = argv[1] ?? this.run.environment.get('HOME') ?? '/';
        this.run.cwd = this.run.resolvePath(target);
        this.run.environment.set('PWD', this.run.cwd);
        return { stdout: '', stderr: '', status: 0 };
      }
      case 'pwd':
        return { stdout: `${this.run.cwd}\n`, stderr: '', status: 0 };
      case 'export':
      case 'readonly':
      case 'local':
        for (const argument of argv.slice(1)) {
          const equals = argument.indexOf('=');
          if (equals > 0) this.run.environment.set(argument.slice(0, equals), argument.slice(equals + 1));
        }
        return { stdout: '', stderr: '', status: 0 };
      case 'unset':
        for (const name of argv.slice(1)) this.run.environment.delete(name);
        return { stdout: '', stderr: '', status: 0 };
      case 'set':
      case ':':
      case 'trap':
      case 'wait':
      case 'umask':
      case 'shift':
        return { stdout: '', stderr: '', status: 0 };
      case 'eval':
        return this.nested(argv.slice(1).join(' '), stdin);
      case 'source':
      case '.': {
        const script = argv[1] ? this.run.readFile(argv[1]) : undefined;
        return script ? this.nested(latin1.decode(script), stdin) : { stdout: '', stderr: `sh: .: ${argv[1] ?? ''}: not found\n`, status: 1 };
      }
      case 'exit':
      case 'return':
        this.run.exhausted = true;
        return { stdout: '', stderr: '', status: Number(argv[1] ?? 0) || 0 };
      case 'test':
      case '[':
        return { stdout: '', stderr: '', status: this.test(argv.slice(1).filter((argument) => argument !== ']')) ? 0 : 1 };
      default:
        return null;
    }
  }

  private test(words: string[]): boolean {
    if (words[0] === '!') return !this.test(words.slice(1));
    if (words.length === 2 && /^-[efxrsw]$/.test(words[0]!)) return this.run.fileExists(words[1]!) || words[1] === '/tmp';
    if (words.length === 2 && words[0] === '-d') return true;
    if (words.length === 2 && words[0] === '-n') return words[1] !== '';
    if (words.length === 2 && words[0] === '-z') return words[1] === '';
    if (words.length === 3 && (words[1] === '=' || words[1] === '==')) return words[0] === words[2];
    if (words.length === 3 && words[1] === '!=') return words[0] !== words[2];
    return words.length === 1 ? words[0] !== '' : true;
  }

  private openRedirects(redirects: Redirect[]): { stdout: Sink; stderr: Sink; stdin: string | null; stdinSocket: EndpointSocket | null } {
    const descriptors = new Map<number, Sink>([
      [1, { kind: 'stdout' }],
      [2, { kind: 'stderr' }],
    ]);
    let stdin: string | null = null;
    let stdinSocket: EndpointSocket | null = null;
    for (const redirect of redirects) {
      const target = expandToString(redirect.target, this.scope);
      if (redirect.operator === '>&' || redirect.operator === '<&') {
        if (/^\d+$/.test(target) && redirect.descriptor !== 'both') {
          const source = descriptors.get(Number(target));
          if (redirect.descriptor === 0) {
            if (source?.kind === 'socket') stdinSocket = source.socket;
          } else if (source) descriptors.set(redirect.descriptor, source);
          continue;
        }
      }
      if (redirect.operator.startsWith('<') && redirect.operator !== '<>' && redirect.descriptor !== 'both') {
        const sink = this.deviceSink(target);
        if (sink?.kind === 'socket') stdinSocket = sink.socket;
        else if (redirect.operator === '<<<') stdin = `${target}\n`;
        else if (redirect.operator === '<') stdin = latin1.decode(this.run.readFile(target) ?? new Uint8Array(0));
        continue;
      }
      const sink = this.deviceSink(target) ?? { kind: 'file', path: target, append: redirect.operator.endsWith('>>') };
      if (redirect.operator === '<>' && sink.kind === 'socket') stdinSocket = sink.socket;
      if (redirect.descriptor === 'both') {
        descriptors.set(1, sink);
        descriptors.set(2, sink);
      } else descriptors.set(redirect.descriptor, sink);
    }
    return { stdout: descriptors.get(1)!, stderr: descriptors.get(2)!, stdin, stdinSocket };
  }

  /** `/dev/null`, `/dev/tcp/host/port` (connects now, as bash does when it opens it), `/dev/udp/host/port` */
  private deviceSink(target: string): Sink | null {
    if (target === '/dev/null') return { kind: 'null' };
    if (target === '/dev/stdout') return { kind: 'stdout' };
    if (target === '/dev/stderr') return { kind: 'stderr' };
    const device = /^\/dev\/(tcp|udp)\/([^/]+)\/(\d{1,5})$/.exec(target);
    if (!device) return null;
    const address = resolveName(this.run, device[2]!);
    const port = Number(device[3]);
    if (address === null || port < 1 || port > 65_535) return { kind: 'null' };
    const network = this.run.context.network;
    if (device[1] === 'udp') return { kind: 'socket', socket: this.run.openSocket('udp'), udp: { address, port } };
    const socket = this.run.openSocket('tcp');
    const connected = network.connect(socket, address, port);
    return connected.kind === 'connected' || connected.kind === 'would_block' ? { kind: 'socket', socket } : { kind: 'null' };
  }

  private route(inner: OutputCollector, stdout: Sink, stderr: Sink, output: OutputCollector): void {
    const deliver = (text: string, sink: Sink) => {
      if (text === '' && sink.kind !== 'file') return;
      switch (sink.kind) {
        case 'stdout':
          output.stdout += text;
          break;
        case 'stderr':
          output.stderr += text;
          break;
        case 'file':
          this.run.writeFile(sink.path, latin1Bytes(text), sink.append);
          sink.append = true;
          break;
        case 'socket':
          if (sink.udp) this.run.context.network.sendTo(sink.socket, encoder.encode(text), sink.udp.address, sink.udp.port);
          else this.run.context.network.send(sink.socket, encoder.encode(text));
          break;
        case 'null':
          break;
      }
    };
    deliver(inner.stdout, stdout);
    deliver(inner.stderr, stderr);
    output.bound();
  }
}

class OutputCollector {
  stdout = '';
  stderr = '';

  constructor(private readonly limit: number) {}

  bound(): void {
    if (this.stdout.length > this.limit) this.stdout = this.stdout.slice(0, this.limit);
    if (this.stderr.length > this.limit) this.stderr = this.stderr.slice(0, this.limit);
  }
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** a dropped file the shell runs as a script: a `#!` line, or text without control bytes */
function isScript(bytes: Uint8Array): boolean {
  if (bytes[0] === 0x23 && bytes[1] === 0x21) return true;
  const sample = bytes.subarray(0, 512);
  return sample.length > 0 && sample.every((byte) => byte === 0x09 || byte === 0x0a || byte === 0x0d || (byte >= 0x20 && byte < 0x7f));
}

function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index) & 0xff;
  return bytes;
}
