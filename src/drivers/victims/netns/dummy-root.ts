/**
 * One running copy of a netns dummy: its network namespace (with a veth into the containment),
 * an overlayfs root over the configured lower directory in a private mount namespace, and the
 * service commands running chrooted in it, all under one PID namespace whose init is the launcher
 * shell. Killing the launcher (unshare --kill-child) kills every process of the copy, and with
 * them the mount namespace and its overlay; the upper layer is then just a directory to delete.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainmentAttachment, ContainmentNamespace } from './containment-namespace.ts';
import { deleteNamespace } from './namespace-names.ts';
import { runCommand } from './run-command.ts';

export interface DummyRootSpec {
  /** read-only lower layer: the dummy's files (a whole root, or an application tree with hostPaths) */
  lowerDir: string;
  /** shell commands started inside the dummy (chrooted into its copy-on-write root), in order */
  services: readonly string[];
  /** host directories bind-mounted read-only into the dummy's root, for programs the lower layer lacks (default /usr, plus /bin /lib /lib64 /sbin as links into it when absent) */
  hostPaths?: readonly string[];
  /** environment of the services (PATH defaults to the usual) */
  env?: Readonly<Record<string, string>>;
}

const DEFAULT_HOST_PATHS = ['/usr'];

function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The launcher: PID 1 of the copy. It builds the root, starts the services, and waits. */
function launcherScript(spec: DummyRootSpec, layers: { upper: string; work: string; merged: string }, gateway: string): string {
  const merged = quote(layers.merged);
  const lines = [
    'set -e',
    `mount -t overlay overlay -o ${quote(`lowerdir=${spec.lowerDir},upperdir=${layers.upper},workdir=${layers.work}`)} ${merged}`,
  ];
  for (const path of spec.hostPaths ?? DEFAULT_HOST_PATHS) {
    lines.push(`mkdir -p ${merged}${quote(path)}`, `mount -o bind,ro ${quote(path)} ${merged}${quote(path)}`);
  }
  // merged-/usr hosts (Debian 12): /bin, /lib … are links into /usr
  for (const link of ['bin', 'sbin', 'lib', 'lib64']) lines.push(`[ -e ${merged}/${link} ] || [ ! -L /${link} ] || ln -s usr/${link} ${merged}/${link}`);
  lines.push(
    `mkdir -p ${merged}/proc ${merged}/dev ${merged}/tmp ${merged}/etc`,
    `mount -t proc proc ${merged}/proc`,
    `mount -t tmpfs -o mode=755,size=1m tmpfs ${merged}/dev`,
    `for device in null zero random urandom; do touch ${merged}/dev/$device; mount --bind /dev/$device ${merged}/dev/$device; done`,
    `chmod 1777 ${merged}/tmp`,
    `echo 'nameserver ${gateway}' > ${merged}/etc/resolv.conf`,
    `echo '127.0.0.1 localhost' > ${merged}/etc/hosts`,
  );
  for (const command of spec.services) lines.push(`chroot ${merged} /bin/sh -c ${quote(command)} &`);
  lines.push('wait');
  return lines.join('\n');
}

export class DummyRoot {
  private launcher: ChildProcess | null = null;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private stopping = false;
  /** told when the copy stops without being asked (a service killed its init, the OOM killer) */
  onDeath: ((exit: { code: number | null; signal: NodeJS.Signals | null }) => void) | null = null;

  private constructor(
    readonly namespace: string,
    readonly attachment: ContainmentAttachment,
    private readonly directory: string,
    private readonly spec: DummyRootSpec,
  ) {}

  /** Builds the namespace and link (once per copy); start() runs the services. */
  static async create(space: ContainmentNamespace, id: string, spec: DummyRootSpec, signal?: AbortSignal): Promise<DummyRoot> {
    const namespace = `${space.prefix}-${id}`;
    const directory = join(space.scratchDirectory, id);
    const options = signal ? { signal } : {};
    try {
      await space.addDummyNamespace(namespace, options);
      const attachment = await space.attachVeth(id, namespace, options);
      return new DummyRoot(namespace, attachment, directory, spec);
    } catch (error) {
      await deleteNamespace(namespace);
      throw error;
    }
  }

  get address(): string {
    return this.attachment.dummyAddress;
  }

  /** a process inside the copy's network namespace while it runs (its launcher), for /proc/<pid>/net */
  get launcherPid(): number | null {
    return this.running ? (this.launcher!.pid ?? null) : null;
  }

  get running(): boolean {
    return this.launcher !== null && this.exit === null;
  }

  /** pids of every process in the dummy's network namespace */
  async pids(): Promise<number[]> {
    const listed = await runCommand('ip', ['netns', 'pids', this.namespace], { allowFailure: true });
    return listed.stdout.split(/\s+/).filter(Boolean).map(Number);
  }

  /** Fresh upper layer, services started. Does not wait for them to answer. */
  start(): void {
    const layers = { upper: join(this.directory, 'upper'), work: join(this.directory, 'work'), merged: join(this.directory, 'merged') };
    rmSync(this.directory, { recursive: true, force: true });
    for (const layer of Object.values(layers)) mkdirSync(layer, { recursive: true });
    this.exit = null;
    this.stopping = false;
    const child = spawn(
      'ip',
      ['netns', 'exec', this.namespace, 'unshare', '--mount', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--', '/bin/sh', '-c', launcherScript(this.spec, layers, this.attachment.gatewayAddress)],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/tmp', ...this.spec.env } },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
    child.on('exit', (code, signal) => {
      if (this.launcher !== child) return;
      this.exit = { code, signal };
      if (!this.stopping) this.onDeath?.({ code, signal });
    });
    this.launcher = child;
    this.lastStderr = () => stderr;
  }

  /** what the launcher and services last printed on stderr (for error messages) */
  lastStderr: () => string = () => '';

  /** Kills every process of the copy and discards its upper layer. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.launcher;
    if (child && this.exit === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    // the PID namespace died with its init; anything that escaped it is still in the netns
    for (const pid of await this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    this.launcher = null;
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** Stops, then removes the link and the namespace. */
  async remove(): Promise<void> {
    await this.stop();
    await this.attachment.close();
    await deleteNamespace(this.namespace);
  }
}
