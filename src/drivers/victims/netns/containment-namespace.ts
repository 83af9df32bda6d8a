/**
 * The containment namespace: the one network namespace every dummy's link ends in, shared by the
 * netns driver (a veth per dummy) and the qemu driver (a tap per machine, QEMU running inside
 * this namespace). Whatever a dummy sends meets nftables rules here that redirect all TCP and UDP
 * to the containment front's sockets for that link (the original destination comes back from
 * conntrack), answer ICMP echo locally, and forward nothing: the namespace has no link to the
 * host and no default route, so there is nowhere else for a packet to go. tcpdump on each link
 * writes its pcap. Everything is named with a per-run prefix; `create()` first removes what
 * crashed runs left behind, and `close()`/`destroy()` remove namespaces, links, rules and
 * processes, idempotently.
 *
 * Use:
 * ```ts
 * const space = await ContainmentNamespace.create({ signal });
 * const link = await space.attachTap('vm1', { signal });   // qemu: -netdev tap,ifname=${link.interfaceName}
 * await link.route(new Containment({ dummyId, profileId, onEvent })); // egress of this lease
 * const socket = await link.connect(80, { signal });        // a client into the dummy, or null
 * await space.close();                                      // links, agent, namespace
 * ```
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket as DatagramSocket } from 'node:dgram';
import type { Server, Socket } from 'node:net';
import { CrashtestError } from '../../../core/index.ts';
import { listenContainment, type Containment, type ContainmentFront } from '../../../containment/index.ts';
import { originalDestination } from './conntrack.ts';
import { EgressCapture } from './egress-capture.ts';
import { NamespaceAgent } from './namespace-agent.ts';
import { cleanStale, deleteNamespace, newRunPrefix, scratchDirectory } from './namespace-names.ts';
import { assertNetnsAvailable, runCommand } from './run-command.ts';

export interface ContainmentNamespaceOptions {
  /** run prefix for every name (default `crashtest-<pid>-<n>`); must start with `crashtest-<pid>-` to be cleaned after a crash */
  prefix?: string;
  /** where pcaps go (default: a scratch directory under the OS temp directory, removed on close) */
  pcapDirectory?: string;
  signal?: AbortSignal;
}

export interface AttachOptions {
  signal?: AbortSignal;
}

const TABLE = 'crashtest';
/** dummy links get 10.213.0.0/16 in /30s: .1 the containment side (gateway), .2 the dummy */
const SUBNET_FIRST_OCTETS = '10.213';

const RULESET = `
table inet ${TABLE} {
  map tcp_front { type ifname : inet_service; }
  map udp_front { type ifname : inet_service; }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    meta l4proto tcp redirect to : iifname map @tcp_front
    meta l4proto udp redirect to : iifname map @udp_front
    icmp type echo-request redirect
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
  }
}
`;

/** One dummy's link into the containment: its addresses, its front sockets, its pcap. */
export class ContainmentAttachment {
  private front: ContainmentFront | null = null;
  private containment: Containment | null = null;
  private isClosed = false;

  constructor(
    private readonly space: ContainmentNamespace,
    /** the link's name inside the containment namespace (the tap QEMU opens, or the veth end) */
    readonly interfaceName: string,
    /** the dummy's address on its link */
    readonly dummyAddress: string,
    /** the containment side's address: the dummy's default gateway and name server */
    readonly gatewayAddress: string,
    private readonly tcpServer: Server,
    private readonly udpSocket: DatagramSocket,
    private readonly tcpFrontPort: number,
    private readonly udpFrontPort: number,
    private readonly capture: EgressCapture,
  ) {}

  readonly prefixLength = 30;

  /** everything seen on the link (both directions), since it was attached */
  get pcapPath(): string {
    return this.capture.pcapPath;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Sends this link's egress to `containment` from now on (a fresh one per lease); connections
   * still open to the previous one are reset. `null`: nothing answers until the next route().
   */
  async route(containment: Containment | null): Promise<void> {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `containment link ${this.interfaceName}: route() after close`);
    this.front?.destroy();
    this.front = null;
    this.containment = containment;
    if (containment === null) return;
    const agentPid = this.space.agentPid;
    this.front = await listenContainment(containment, {
      address: this.gatewayAddress,
      server: this.tcpServer,
      udpSocket: this.udpSocket,
      destinationOf: (arrivedAt, transport, source) =>
        originalDestination(agentPid, transport, source, transport === 'tcp' ? this.tcpFrontPort : this.udpFrontPort) ?? arrivedAt,
    });
  }

  /** A TCP connection from the containment namespace to the dummy's `port`; null when refused. */
  connect(port: number, options: { signal?: AbortSignal } = {}): Promise<Socket | null> {
    if (this.isClosed) return Promise.reject(new CrashtestError('CT_ERR_INVALID_STATE', `containment link ${this.interfaceName}: connect() after close`));
    return this.space.agentConnect(this.dummyAddress, port, options.signal);
  }

  /** A UDP socket in the containment namespace, bound on this link's gateway address, to send datagrams to the dummy. */
  openDatagramSocket(): Promise<DatagramSocket> {
    if (this.isClosed) return Promise.reject(new CrashtestError('CT_ERR_INVALID_STATE', `containment link ${this.interfaceName}: openDatagramSocket() after close`));
    return this.space.agentBindUdp(this.gatewayAddress);
  }

  /** Called by the capture for each echo request: recorded in the current lease's containment. */
  echo(destination: string, payloadBytes: number): void {
    if (this.containment && !this.containment.closed) this.containment.icmpEcho(destination, payloadBytes);
  }

  /** Stops the front, the capture and the link. Idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.front?.destroy();
    this.front = null;
    this.tcpServer.close();
    try {
      this.udpSocket.close();
    } catch {
      // closed already
    }
    await this.capture.stop();
    await this.space.detach(this);
  }

  destroy(): void {
    void this.close().catch(() => {});
  }
}

export class ContainmentNamespace {
  private readonly attachments = new Set<ContainmentAttachment>();
  private nextIndex = 0;
  private isClosed = false;
  private closing: Promise<void> | null = null;

  private constructor(
    /** run prefix: other namespaces of this run (dummies) are named `${prefix}-…` */
    readonly prefix: string,
    /** the network namespace's name, for `ip netns exec <name> …` */
    readonly name: string,
    private readonly agent: NamespaceAgent,
    /** scratch space of this run (pcaps unless elsewhere, overlay layers of the netns driver) */
    readonly scratchDirectory: string,
    private readonly pcapDirectory: string,
  ) {}

  /** Cleans what crashed runs left, then builds the namespace, its rules and its socket agent. */
  static async create(options: ContainmentNamespaceOptions = {}): Promise<ContainmentNamespace> {
    options.signal?.throwIfAborted();
    assertNetnsAvailable('containment namespace');
    await cleanStale();
    const prefix = options.prefix ?? newRunPrefix();
    const name = `${prefix}-containment`;
    const scratch = scratchDirectory(prefix);
    const pcapDirectory = options.pcapDirectory ?? join(scratch, 'pcap');
    mkdirSync(pcapDirectory, { recursive: true });
    const signal = options.signal ? { signal: options.signal } : {};
    try {
      await runCommand('ip', ['netns', 'add', name], signal);
      await runCommand('ip', ['-n', name, 'link', 'set', 'lo', 'up'], signal);
      await runCommand('ip', ['netns', 'exec', name, 'nft', '-f', '-'], { ...signal, input: RULESET });
      const agent = await NamespaceAgent.start(name, options.signal);
      return new ContainmentNamespace(prefix, name, agent, scratch, pcapDirectory);
    } catch (error) {
      await deleteNamespace(name);
      rmSync(scratch, { recursive: true, force: true });
      throw error;
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get agentPid(): number {
    return this.agent.pid;
  }

  /** A veth from the containment into `peerNamespace` (named `peerName` there, with address and default route set). */
  async attachVeth(id: string, peerNamespace: string, options: AttachOptions & { peerName?: string } = {}): Promise<ContainmentAttachment> {
    const peerName = options.peerName ?? 'eth0';
    return this.attach(id, 'v', options.signal, async (interfaceName, gateway, dummy, signal) => {
      await runCommand('ip', ['link', 'add', 'name', interfaceName, 'netns', this.name, 'type', 'veth', 'peer', 'name', peerName, 'netns', peerNamespace], signal);
      // no IPv6 link-local chatter: the containment speaks IPv4
      await runCommand('ip', ['-n', peerNamespace, '-batch', '-'], {
        ...signal,
        input: [`link set dev ${peerName} addrgenmode none`, `addr add ${dummy}/30 dev ${peerName}`, 'link set lo up', `link set ${peerName} up`, `route add default via ${gateway}`, ''].join('\n'),
      });
      await runCommand('ip', ['-n', this.name, '-batch', '-'], {
        ...signal,
        input: [`link set dev ${interfaceName} addrgenmode none`, `addr add ${gateway}/30 dev ${interfaceName}`, `link set ${interfaceName} up`, ''].join('\n'),
      });
    });
  }

  /** A tap device in the containment namespace for a QEMU that runs inside it (`ip netns exec name qemu … -netdev tap,ifname=…,script=no`). */
  async attachTap(id: string, options: AttachOptions = {}): Promise<ContainmentAttachment> {
    return this.attach(id, 't', options.signal, async (interfaceName, gateway, _dummy, signal) => {
      await runCommand('ip', ['-n', this.name, '-batch', '-'], {
        ...signal,
        input: [`tuntap add dev ${interfaceName} mode tap`, `link set dev ${interfaceName} addrgenmode none`, `addr add ${gateway}/30 dev ${interfaceName}`, `link set ${interfaceName} up`, ''].join('\n'),
      });
    });
  }

  private async attach(
    id: string,
    kind: 'v' | 't',
    abortSignal: AbortSignal | undefined,
    makeLink: (interfaceName: string, gateway: string, dummy: string, signal: { signal?: AbortSignal }) => Promise<void>,
  ): Promise<ContainmentAttachment> {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `containment namespace ${this.name}: attach after close`);
    abortSignal?.throwIfAborted();
    const index = this.nextIndex++;
    if (index >= 16_384) throw new CrashtestError('CT_ERR_INVALID_STATE', `containment namespace ${this.name}: no addresses left for another link (16384 per namespace)`);
    const interfaceName = `${kind}${index}`;
    const base = index * 4;
    const subnet = `${SUBNET_FIRST_OCTETS}.${base >> 8}`;
    const gateway = `${subnet}.${(base & 255) + 1}`;
    const dummy = `${subnet}.${(base & 255) + 2}`;
    const signal = abortSignal ? { signal: abortSignal } : {};
    let tcp: { server: Server; port: number } | null = null;
    let udp: { socket: DatagramSocket; port: number } | null = null;
    try {
      await makeLink(interfaceName, gateway, dummy, signal);
      tcp = await this.agent.listenTcp(gateway);
      udp = await this.agent.bindUdp(gateway);
      await runCommand('ip', ['netns', 'exec', this.name, 'nft', '-f', '-'], {
        ...signal,
        input: `add element inet ${TABLE} tcp_front { "${interfaceName}" : ${tcp.port} }\nadd element inet ${TABLE} udp_front { "${interfaceName}" : ${udp.port} }\n`,
      });
      let attachment: ContainmentAttachment | null = null;
      const capture = await EgressCapture.start({
        namespace: this.name,
        interfaceName,
        pcapPath: join(this.pcapDirectory, `${id}.pcap`),
        onEcho: (destination, bytes) => attachment?.echo(destination, bytes),
        ...signal,
      });
      attachment = new ContainmentAttachment(this, interfaceName, dummy, gateway, tcp.server, udp.socket, tcp.port, udp.port, capture);
      this.attachments.add(attachment);
      return attachment;
    } catch (error) {
      tcp?.server.close();
      udp?.socket.close();
      await this.removeLink(interfaceName);
      throw error;
    }
  }

  /** @internal a link's close() calls this */
  async detach(attachment: ContainmentAttachment): Promise<void> {
    this.attachments.delete(attachment);
    if (!this.isClosed) await this.removeLink(attachment.interfaceName);
  }

  /** @internal */
  agentConnect(address: string, port: number, signal?: AbortSignal): Promise<Socket | null> {
    return this.agent.connect(address, port, signal);
  }

  /** @internal */
  async agentBindUdp(address: string): Promise<DatagramSocket> {
    return (await this.agent.bindUdp(address)).socket;
  }

  private async removeLink(interfaceName: string): Promise<void> {
    // deleting one end of a veth deletes the pair; the map elements go with a best effort
    await runCommand('ip', ['netns', 'exec', this.name, 'nft', '-f', '-'], {
      allowFailure: true,
      input: `delete element inet ${TABLE} tcp_front { "${interfaceName}" }\ndelete element inet ${TABLE} udp_front { "${interfaceName}" }\n`,
    });
    await runCommand('ip', ['-n', this.name, 'link', 'delete', interfaceName], { allowFailure: true });
  }

  /** Closes every link, stops the agent, deletes the namespace and the scratch directory. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Same as close(), not awaited: the namespace and its processes are removed in the background. */
  destroy(_error?: Error): void {
    void this.close().catch(() => {});
  }

  private async shutdown(): Promise<void> {
    this.isClosed = true;
    await Promise.all([...this.attachments].map((attachment) => attachment.close()));
    this.agent.stop();
    await deleteNamespace(this.name);
    rmSync(this.scratchDirectory, { recursive: true, force: true });
  }
}
