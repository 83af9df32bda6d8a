/**
 * A small node process living inside a network namespace, so that this process can hold sockets
 * there: Node cannot enter a namespace (no setns), but it can receive socket handles from a child
 * over the IPC channel. The agent opens listeners (the containment front's) and client connections
 * (to a dummy's services) in its namespace and hands each socket over; the parent then uses them as
 * ordinary `net`/`dgram` sockets. The agent exits when the parent goes away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket as DatagramSocket } from 'node:dgram';
import type { Server, Socket } from 'node:net';
import { CrashtestError } from '../../../core/index.ts';

/** Plain JavaScript: it runs under `node -e` inside the namespace, without the TypeScript loader. */
const AGENT_SOURCE = String.raw`
const net = require('node:net');
const dgram = require('node:dgram');
process.on('disconnect', () => process.exit(0));
const fail = (id, error) => process.send({ id, error: error.code || String(error.message || error) });
process.on('message', (m) => {
  if (m.op === 'listen-tcp') {
    const server = net.createServer({ pauseOnConnect: true });
    server.on('error', (error) => fail(m.id, error));
    server.listen(m.port, m.address, () => process.send({ id: m.id, port: server.address().port }, server, () => server.close()));
  } else if (m.op === 'bind-udp') {
    const socket = dgram.createSocket(m.address.includes(':') ? 'udp6' : 'udp4');
    socket.on('error', (error) => fail(m.id, error));
    socket.bind(m.port, m.address, () => process.send({ id: m.id, port: socket.address().port }, socket, () => socket.close()));
  } else if (m.op === 'connect') {
    const socket = new net.Socket();
    socket.pause(); // not a byte read here: the greeting belongs to the parent
    socket.on('error', (error) => fail(m.id, error));
    socket.setNoDelay(true);
    socket.connect(m.port, m.address, () => process.send({ id: m.id }, socket));
  }
});
process.send({ ready: true });
`;

interface Pending {
  resolve(value: { port: number; handle: unknown }): void;
  reject(error: Error): void;
}

export class NamespaceAgent {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited = false;

  private constructor(
    readonly namespace: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: { id?: number; port?: number; error?: string }, handle: unknown) => {
      if (message.id === undefined) return;
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiting.reject(Object.assign(new Error(message.error), { code: message.error }));
      else waiting.resolve({ port: message.port ?? 0, handle });
    });
    child.on('exit', () => {
      this.exited = true;
      for (const waiting of this.pending.values()) waiting.reject(new CrashtestError('CT_ERR_NETNS_SETUP', `namespace agent in ${namespace} exited`));
      this.pending.clear();
    });
  }

  /** Starts an agent in `namespace` and waits until it is ready. */
  static async start(namespace: string, signal?: AbortSignal): Promise<NamespaceAgent> {
    signal?.throwIfAborted();
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '-e', AGENT_SOURCE], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const agent = new NamespaceAgent(namespace, child);
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        child.kill('SIGKILL');
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.once('message', () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      child.once('exit', (code) => reject(new CrashtestError('CT_ERR_NETNS_SETUP', `namespace agent in ${namespace} exited with ${code}: ${stderr.trim()}`)));
      child.once('error', (error) => reject(new CrashtestError('CT_ERR_NETNS_SETUP', `namespace agent in ${namespace} did not start: ${error.message}`)));
    });
    return agent;
  }

  /** the agent's pid: /proc/<pid>/net is the namespace's view (conntrack) */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** A TCP listener in the namespace; new connections arrive paused. */
  async listenTcp(address: string, port = 0): Promise<{ server: Server; port: number }> {
    const { handle, port: bound } = await this.request({ op: 'listen-tcp', address, port });
    return { server: handle as Server, port: bound };
  }

  async bindUdp(address: string, port = 0): Promise<{ socket: DatagramSocket; port: number }> {
    const { handle, port: bound } = await this.request({ op: 'bind-udp', address, port });
    return { socket: handle as DatagramSocket, port: bound };
  }

  /** A TCP connection from the namespace to `address:port`, paused; null when refused. */
  async connect(address: string, port: number, signal?: AbortSignal): Promise<Socket | null> {
    signal?.throwIfAborted();
    const request = this.request({ op: 'connect', address, port });
    const settled = signal ? abortable(request, signal) : request;
    try {
      return (await settled).handle as Socket;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') return null;
      throw error;
    }
  }

  /** Ends the agent; sockets it handed over stay with this process. */
  stop(): void {
    if (this.exited) return;
    this.child.kill('SIGKILL');
  }

  private request(message: Record<string, unknown>): Promise<{ port: number; handle: unknown }> {
    if (this.exited) return Promise.reject(new CrashtestError('CT_ERR_INVALID_STATE', `namespace agent in ${this.namespace} has exited`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...message, id });
    });
  }
}

/** Rejects with the signal's reason when it aborts first; a handle that arrives later is destroyed. */
function abortable(request: Promise<{ port: number; handle: unknown }>, signal: AbortSignal): Promise<{ port: number; handle: unknown }> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason);
      request.then(({ handle }) => (handle as Socket | undefined)?.destroy?.(), () => {});
    };
    signal.addEventListener('abort', onAbort, { once: true });
    request.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) return;
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
