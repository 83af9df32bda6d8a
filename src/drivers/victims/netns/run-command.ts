/**
 * Runs the system commands the netns and qemu drivers build namespaces with (ip, nft, tcpdump),
 * with an AbortSignal, and turns a failure into CT_ERR_NETNS_SETUP naming the command and its
 * stderr. Also the one place that decides whether this machine can run namespaced dummies at all.
 */
import { spawn, spawnSync } from 'node:child_process';
import { CrashtestError } from '../../../core/index.ts';

export interface RunOptions {
  /** written to the command's stdin (nft -f -) */
  input?: string;
  signal?: AbortSignal;
  /** a non-zero exit is not an error (teardown of things that may be gone already) */
  allowFailure?: boolean;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  options.signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => {}); // a command that exits before reading its input
    child.stdin.end(options.input ?? '');
    child.on('error', (error) => {
      if (options.signal?.aborted) return reject(options.signal.reason);
      reject(new CrashtestError('CT_ERR_NETNS_SETUP', `${command} ${args.join(' ')}: could not start (${error.message})`, { command }, { cause: error }));
    });
    child.on('close', (code) => {
      if (options.signal?.aborted) return reject(options.signal.reason);
      if (code !== 0 && !options.allowFailure) {
        return reject(new CrashtestError('CT_ERR_NETNS_SETUP', `${command} ${args.join(' ')}: expected exit 0, got ${code}: ${stderr.trim() || stdout.trim()}`, { command, exitCode: code }));
      }
      resolve({ code, stdout, stderr });
    });
  });
}

/** A command on PATH, or null. */
export function findCommand(name: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() !== '' ? found.stdout.trim() : null;
}

/** Why namespaced dummies cannot run here, or null when they can (root, and every tool present). */
export function netnsUnavailableReason(tools: readonly string[] = ['ip', 'nft', 'tcpdump', 'unshare', 'nsenter']): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux, this is ${process.platform}`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return `network namespaces need root (CAP_NET_ADMIN, CAP_SYS_ADMIN); running as uid ${process.getuid()}`;
  const missing = tools.filter((tool) => findCommand(tool) === null);
  if (missing.length > 0) return `missing command(s) on PATH: ${missing.join(', ')} (Debian: apt-get install iproute2 nftables tcpdump util-linux)`;
  return null;
}

/** Throws CT_ERR_NETNS_UNAVAILABLE with the reason when namespaced dummies cannot run here. */
export function assertNetnsAvailable(what: string, tools?: readonly string[]): void {
  const reason = netnsUnavailableReason(tools);
  if (reason !== null) throw new CrashtestError('CT_ERR_NETNS_UNAVAILABLE', `${what}: ${reason}`);
}
