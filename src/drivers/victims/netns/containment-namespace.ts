/**
 * The containment namespace: the one network namespace every dummy's link ends in, shared by the
 * netns driver (a veth per dummy) and the qemu driver (a tap per machine, QEMU running inside
 * this namespace). Each link speaks IPv4 (a /30 of 10.213.0.0/16) and IPv6 (a /64 of the ULA
 * fd00:213::/48), the dummy's default routes of both families pointing at this namespace.
 * Whatever a dummy sends meets nftables rules here that redirect all TCP and UDP, of either
 * family, to the containment front's sockets for that link and family (the original destination
 * comes back from conntrack), answer ICMP and ICMPv6 echo locally, and forward nothing: the
 * namespace has no link to the host and no default route, so there is nowhere else for a packet
 * to go. A TFTP transfer port's replies leave from a socket the agent opens here, source-NATed to
 * look like the transfer port the dummy expects. tcpdump on each link writes its pcap. Everything is named with a per-run prefix; `create()` first removes what
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
import { listenContainment, type Containment, type ContainmentFront, type NetworkAddress } from '../../../containment/index.ts';
import { originalDestination } from './conntrack.ts';
import { EgressCapture } from './egress-capture.ts';
import { canonicalAddress } from './ip-address.ts';
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
/**
 * Socket hash buckets of namespaces created from inside this one (dummies): private tables, so a
 * dummy's /proc/net/tcp walks its own few sockets, not the host's 262,144 buckets (Linux 6.1+/6.2+;
 * older kernels share the host's tables, and a listener scan is slower, not wrong).
 */
const CHILD_HASH_ENTRIES = 1_024;
/** dummy links get 10.213.0.0/16 in /30s: .1 the containment side (gateway), .2 the dummy */
const SUBNET_FIRST_OCTETS = '10.213';
/** and fd00:213::/48 in /64s, one per link (the link's index is the subnet id): ::1 the gateway, ::2 the dummy */
const SUBNET6_PREFIX = 'fd00:213:0';

/**
 * Front ports per link and family (`tcp_front`, `tcp6_front` …); `transfer4`/`transfer6` map a
 * TFTP transfer socket (gateway address . port) to the address and port the dummy must see its
 * replies come from. Redirected flows' replies are un-NATed by conntrack; only new flows from
 * this namespace (the transfer sockets) meet the postrouting chain.
 */
const RULESET = `
table inet ${TABLE} {
  map tcp_front { type ifname : inet_service; }
  map udp_front { type ifname : inet_service; }
  map tcp6_front { type ifname : inet_service; }
  map udp6_front { type ifname : inet_service; }
  map transfer4 { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
  map transfer6 { type ipv6_addr . inet_service : ipv6_addr . inet_service; }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    meta nfproto ipv4 meta l4proto tcp redirect to : iifname map @tcp_front
    meta nfproto ipv4 meta l4proto udp redirect to : iifname map @udp_front
    meta nfproto ipv6 meta l4proto tcp redirect to : iifname map @tcp6_front
    meta nfproto ipv6 meta l4proto udp redirect to : iifname map @udp6_front
    icmp type echo-request redirect
    icmpv6 type echo-request redirect
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    meta l4proto udp snat ip to ip saddr . udp sport map @transfer4
    meta l4proto udp snat ip6 to ip6 saddr . udp sport map @transfer6
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
  }
}
`;

/** One family's front sockets on a link, opened in the containment namespace by the agent. */
export interface FrontSockets {
  family: 4 | 6;
  /** the gateway address of this family, where the sockets are bound */
  gateway: string;
  tcpServer: Server;
  udpSocket: DatagramSocket;
  tcpPort: number;
  udpPort: number;
}

/** One dummy's link into the containment: its addresses, its front sockets, its pcap. */
export class ContainmentAttachment {
  private fronts: ContainmentFront[] = [];
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
    /** the dummy's IPv6 address on its link (a ULA, inside the namespaces only) */
    readonly dummyAddress6: string,
    /** the containment side's IPv6 address: the dummy's IPv6 default gateway */
    readonly gatewayAddress6: string,
    private readonly sockets: readonly FrontSockets[],
    private readonly capture: EgressCapture,
  ) {}

  readonly prefixLength = 30;
  readonly prefixLength6 = 64;

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
    for (const front of this.fronts) front.destroy();
    this.fronts = [];
    this.containment = containment;
    if (containment === null) return;
    const agentPid = this.space.agentPid;
    for (const sockets of this.sockets) {
      this.fronts.push(
        await listenContainment(containment, {
          address: sockets.gateway,
          server: sockets.tcpServer,
          udpSocket: sockets.udpSocket,
          destinationOf: (arrivedAt, transport, source) =>
            originalDestination(agentPid, transport, source, transport === 'tcp' ? sockets.tcpPort : sockets.udpPort) ?? arrivedAt,
          openTransferSocket: (from) => this.space.openTransferSocket(sockets, from),
        }),
      );
    }
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
    for (const front of this.fronts) front.destroy();
    this.fronts = [];
    for (const sockets of this.sockets) {
      sockets.tcpServer.close();
      try {
        sockets.udpSocket.close();
      } catch {
        // closed already
      }
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
      await runCommand('ip', ['netns', 'exec', name, 'sh', '-c', `echo ${CHILD_HASH_ENTRIES} > /proc/sys/net/ipv4/tcp_child_ehash_entries; echo ${CHILD_HASH_ENTRIES} > /proc/sys/net/ipv4/udp_child_hash_entries`], { ...signal, allowFailure: true });
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

  /** A new network namespace for a dummy, made from inside this one so that it gets small socket tables of its own. */
  async addDummyNamespace(name: string, options: AttachOptions = {}): Promise<void> {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `containment namespace ${this.name}: dummy namespace after close`);
    // nsenter changes the network namespace only: the new name is bound where `ip netns` looks for it
    await runCommand('nsenter', [`--net=/var/run/netns/${this.name}`, 'ip', 'netns', 'add', name], options.signal ? { signal: options.signal } : {});
  }

  /** A veth from the containment into `peerNamespace` (named `peerName` there, with address and default route set). */
  async attachVeth(id: string, peerNamespace: string, options: AttachOptions & { peerName?: string } = {}): Promise<ContainmentAttachment> {
    const peerName = options.peerName ?? 'eth0';
    return this.attach(id, 'v', options.signal, async (interfaceName, addresses, signal) => {
      await runCommand('ip', ['link', 'add', 'name', interfaceName, 'netns', this.name, 'type', 'veth', 'peer', 'name', peerName, 'netns', peerNamespace], signal);
      // no link-local addresses or router solicitations: each side gets its two addresses, nothing else;
      // nodad, because duplicate address detection would hold the IPv6 address back for a second
      await runCommand('ip', ['-n', peerNamespace, '-batch', '-'], {
        ...signal,
        input: [
          `link set dev ${peerName} addrgenmode none`,
          `addr add ${addresses.dummy}/30 dev ${peerName}`,
          `addr add ${addresses.dummy6}/64 dev ${peerName} nodad`,
          'link set lo up',
          `link set ${peerName} up`,
          `route add default via ${addresses.gateway}`,
          `route add default via ${addresses.gateway6}`,
          '',
        ].join('\n'),
      });
      await runCommand('ip', ['-n', this.name, '-batch', '-'], { ...signal, input: gatewayCommands(interfaceName, addresses, []) });
    });
  }

  /** A tap device in the containment namespace for a QEMU that runs inside it (`ip netns exec name qemu … -netdev tap,ifname=…,script=no`). */
  async attachTap(id: string, options: AttachOptions = {}): Promise<ContainmentAttachment> {
    return this.attach(id, 't', options.signal, async (interfaceName, addresses, signal) => {
      await runCommand('ip', ['-n', this.name, '-batch', '-'], { ...signal, input: gatewayCommands(interfaceName, addresses, [`tuntap add dev ${interfaceName} mode tap`]) });
    });
  }

  private async attach(
    id: string,
    kind: 'v' | 't',
    abortSignal: AbortSignal | undefined,
    makeLink: (interfaceName: string, addresses: LinkAddresses, signal: { signal?: AbortSignal }) => Promise<void>,
  ): Promise<ContainmentAttachment> {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `containment namespace ${this.name}: attach after close`);
    abortSignal?.throwIfAborted();
    const index = this.nextIndex++;
    if (index >= 16_384) throw new CrashtestError('CT_ERR_INVALID_STATE', `containment namespace ${this.name}: no addresses left for another link (16384 per namespace)`);
    const interfaceName = `${kind}${index}`;
    const base = index * 4;
    const subnet = `${SUBNET_FIRST_OCTETS}.${base >> 8}`;
    const addresses: LinkAddresses = {
      gateway: `${subnet}.${(base & 255) + 1}`,
      dummy: `${subnet}.${(base & 255) + 2}`,
      gateway6: canonicalAddress(`${SUBNET6_PREFIX}:${index.toString(16)}::1`),
      dummy6: canonicalAddress(`${SUBNET6_PREFIX}:${index.toString(16)}::2`),
    };
    const signal = abortSignal ? { signal: abortSignal } : {};
    const sockets: FrontSockets[] = [];
    try {
      await makeLink(interfaceName, addresses, signal);
      for (const [family, gateway] of [[4, addresses.gateway], [6, addresses.gateway6]] as const) {
        const tcp = await this.agent.listenTcp(gateway);
        const udp = await this.agent.bindUdp(gateway).catch((error: unknown) => {
          tcp.server.close();
          throw error;
        });
        sockets.push({ family, gateway, tcpServer: tcp.server, udpSocket: udp.socket, tcpPort: tcp.port, udpPort: udp.port });
      }
      await runCommand('ip', ['netns', 'exec', this.name, 'nft', '-f', '-'], {
        ...signal,
        input: sockets
          .flatMap((front) => {
            const suffix = front.family === 6 ? '6' : '';
            return [`add element inet ${TABLE} tcp${suffix}_front { "${interfaceName}" : ${front.tcpPort} }`, `add element inet ${TABLE} udp${suffix}_front { "${interfaceName}" : ${front.udpPort} }`];
          })
          .join('\n') + '\n',
      });
      let attachment: ContainmentAttachment | null = null;
      const capture = await EgressCapture.start({
        namespace: this.name,
        interfaceName,
        pcapPath: join(this.pcapDirectory, `${id}.pcap`),
        onEcho: (destination, bytes) => attachment?.echo(destination, bytes),
        ...signal,
      });
      attachment = new ContainmentAttachment(this, interfaceName, addresses.dummy, addresses.gateway, addresses.dummy6, addresses.gateway6, sockets, capture);
      this.attachments.add(attachment);
      return attachment;
    } catch (error) {
      for (const front of sockets) {
        front.tcpServer.close();
        front.udpSocket.close();
      }
      await this.removeLink(interfaceName);
      throw error;
    }
  }

  /**
   * @internal A TFTP transfer port for one link: a UDP socket on the gateway, whose datagrams the
   * postrouting chain rewrites to come from `from` (where the dummy's client expects its server's
   * new port); the dummy's answers to `from` are un-NATed back to it by conntrack.
   */
  async openTransferSocket(sockets: FrontSockets, from: NetworkAddress): Promise<{ socket: DatagramSocket; release(): void }> {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `containment namespace ${this.name}: transfer socket after close`);
    const { socket, port } = await this.agent.bindUdp(sockets.gateway);
    const map = sockets.family === 6 ? 'transfer6' : 'transfer4';
    const element = `{ ${sockets.gateway} . ${port} : ${from.address} . ${from.port} }`;
    try {
      await runCommand('ip', ['netns', 'exec', this.name, 'nft', '-f', '-'], { input: `add element inet ${TABLE} ${map} ${element}\n` });
    } catch (error) {
      socket.close();
      throw error;
    }
    return {
      socket,
      release: () => {
        try {
          socket.close();
        } catch {
          // closed already
        }
        if (this.isClosed) return;
        void runCommand('ip', ['netns', 'exec', this.name, 'nft', '-f', '-'], { allowFailure: true, input: `delete element inet ${TABLE} ${map} { ${sockets.gateway} . ${port} }\n` }).catch(() => {});
      },
    };
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
      input: ['tcp_front', 'udp_front', 'tcp6_front', 'udp6_front'].map((map) => `delete element inet ${TABLE} ${map} { "${interfaceName}" }\n`).join(''),
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

/** The four addresses of one link. */
interface LinkAddresses {
  gateway: string;
  dummy: string;
  gateway6: string;
  dummy6: string;
}

/** `ip -batch` lines for the containment side of a link: both gateway addresses, no link-local. */
function gatewayCommands(interfaceName: string, addresses: LinkAddresses, before: readonly string[]): string {
  return [
    ...before,
    `link set dev ${interfaceName} addrgenmode none`,
    `addr add ${addresses.gateway}/30 dev ${interfaceName}`,
    `addr add ${addresses.gateway6}/64 dev ${interfaceName} nodad`,
    `link set ${interfaceName} up`,
    '',
  ].join('\n');
}
