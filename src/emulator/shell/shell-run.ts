/**
 * The state of one shell command line as it runs: working directory, the budget every nested
 * script shares, sockets numbered for the endpoint, and the observations commands leave (every
 * command an `exec`, every write a `file`, every listener a `listen`).
 */
import { createHash } from 'node:crypto';
import type { EndpointSocket, SocketKind } from '../behaviour/network-endpoint.ts';
import type { CommandOutput } from './command-output.ts';
import { DEFAULT_SHELL_LIMITS, type ShellContext, type ShellLimits } from './shell-context.ts';

export type ShellKind = 'cmd' | 'sh';

/** sockets are numbered from here when the context does not number them (clear of guest fds and JNDI) */
const FIRST_PRIVATE_SOCKET = 0x5a00;

export type ScriptRunner = (kind: ShellKind, script: string, stdin: string) => CommandOutput;

export class ShellRun {
  readonly limits: ShellLimits;
  cwd: string;
  depth = 0;
  private commandsRun = 0;
  private nextSocket = FIRST_PRIVATE_SOCKET;
  /** a limit was reached: the rest of the line is not run */
  exhausted = false;
  /** runs a nested script (sh -c, cmd /c, a dropped script); set by whoever starts the run */
  runScript: ScriptRunner = () => ({ stdout: '', stderr: '', status: 127 });

  constructor(
    readonly context: ShellContext,
    readonly kind: ShellKind,
  ) {
    this.limits = { ...DEFAULT_SHELL_LIMITS, ...context.limits };
    this.cwd = kind === 'cmd' ? (context.environment.get('CD') ?? 'C:\\WINDOWS\\system32') : (context.environment.get('PWD') ?? '/');
  }

  get environment(): Map<string, string> {
    return this.context.environment;
  }

  /** counts one command against the budget; false when the line has used it up */
  takeCommand(): boolean {
    if (this.commandsRun >= this.limits.maxCommands) {
      this.exhausted = true;
      return false;
    }
    this.commandsRun++;
    return true;
  }

  openSocket(kind: SocketKind): EndpointSocket {
    return { id: this.context.nextSocketId ? this.context.nextSocketId() : this.nextSocket++, kind };
  }

  exec(shell: 'cmd' | 'sh' | 'process', command: string): void {
    this.context.observe({ kind: 'exec', at: this.context.now(), shell, command: command.slice(0, 4_096), origin: this.context.origin });
  }

  listen(proto: 'tcp' | 'udp', port: number): void {
    this.context.observe({ kind: 'listen', at: this.context.now(), proto, port, origin: this.context.origin });
  }

  resolvePath(path: string): string {
    return this.kind === 'cmd' ? resolveWindowsPath(this.cwd, path) : resolvePosixPath(this.cwd, path);
  }

  readFile(path: string): Uint8Array | undefined {
    const resolved = this.resolvePath(path);
    const exact = this.context.files.get(resolved);
    if (exact || this.kind === 'sh') return exact;
    const lower = resolved.toLowerCase();
    for (const [name, bytes] of this.context.files) if (name.toLowerCase() === lower) return bytes;
    return undefined;
  }

  fileExists(path: string): boolean {
    return this.readFile(path) !== undefined;
  }

  writeFile(path: string, bytes: Uint8Array, append = false): string {
    const resolved = this.resolvePath(path);
    const key = this.existingKey(resolved) ?? resolved;
    const previous = append ? (this.context.files.get(key) ?? new Uint8Array(0)) : new Uint8Array(0);
    const room = Math.max(0, this.limits.maxFileBytes - previous.length);
    const joined = new Uint8Array(previous.length + Math.min(room, bytes.length));
    joined.set(previous);
    joined.set(bytes.subarray(0, room), previous.length);
    this.context.files.set(key, joined);
    this.context.observe({
      kind: 'file',
      at: this.context.now(),
      path: key,
      bytes: joined.length,
      sha256: createHash('sha256').update(joined).digest('hex'),
      origin: this.context.origin,
    });
    return key;
  }

  deleteFile(path: string): boolean {
    const key = this.existingKey(this.resolvePath(path));
    return key !== undefined && this.context.files.delete(key);
  }

  private existingKey(resolved: string): string | undefined {
    if (this.context.files.has(resolved)) return resolved;
    if (this.kind === 'sh') return undefined;
    const lower = resolved.toLowerCase();
    for (const name of this.context.files.keys()) if (name.toLowerCase() === lower) return name;
    return undefined;
  }
}

export function resolvePosixPath(cwd: string, path: string): string {
  const joined = path.startsWith('/') ? path : `${cwd}/${path}`;
  const parts: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

export function resolveWindowsPath(cwd: string, path: string): string {
  const clean = path.replace(/\//g, '\\').replace(/^"|"$/g, '');
  const drive = /^[a-zA-Z]:/.test(cwd) ? cwd.slice(0, 2) : 'C:';
  const joined = /^[a-zA-Z]:\\/.test(clean) ? clean : clean.startsWith('\\') ? `${drive}${clean}` : /^[a-zA-Z]:/.test(clean) ? `${clean.slice(0, 2)}\\${clean.slice(2)}` : `${cwd}\\${clean}`;
  const [root, ...rest] = joined.split('\\');
  const parts: string[] = [];
  for (const part of rest) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `${root!.toUpperCase()}\\${parts.join('\\')}`;
}
