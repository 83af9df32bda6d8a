/**
 * One emulated dummy's host: a profile, the state attacker actions leave behind until revert, and
 * the services that listen on it. Services report what reached them; the host turns it into
 * observations and, where the profile is vulnerable, into real behaviour: attacker code runs in
 * the CPU in this profile's process environment, commands run in its shell, JNDI lookups in its
 * resolver, every network call of them through the one endpoint it was given (containment).
 */
import { createHash } from 'node:crypto';
import type { Profile } from '../../config/index.ts';
import type { AcceptResult, EndpointSocket, NetworkEndpoint } from '../behaviour/network-endpoint.ts';
import { ACTIVE_KINDS, type BehaviourEvent, type BehaviourTrace } from '../behaviour/trace.ts';
import type { Disassembler } from '../behaviour/disassembly.ts';
import { EmulatedRun, profileShellcode, type ProfileTarget } from '../finder/profile-shellcode.ts';
import type { ApplicationModule, WindowsVersion } from '../windows/windows-process.ts';
import { kernelImplantOf } from '../windows-kernel/kernel-implant.ts';
import type { CodeHints, DummyObservation, ExploitReport } from '../services/observation.ts';
import type { HostState, ServiceHost, ShellKind } from '../services/service.ts';

/** How the host runs what is not CPU code; injected so the host does not care how shells are built. */
export interface HostInterpreters {
  /** runs a command line in the host's shell; returns its output */
  shell?: (kind: ShellKind, commandLine: string, host: EmulatedHost, origin: string) => string;
  /** evaluates Log4j lookups in `text` (called only when the profile has a vulnerable Log4j); returns the JNDI names it looked up */
  log4j?: (text: string, host: EmulatedHost, origin: string) => readonly string[];
  /** the vulnerable application's modules the Windows process needs (sqlsort.dll for Slammer) */
  applicationModules?: (profile: Profile) => ApplicationModule[];
}

export interface EmulatedHostOptions {
  profile: Profile;
  address: string;
  hostname?: string;
  /** the network of the current lease: every call of attacker code or commands lands here */
  network: () => NetworkEndpoint;
  interpreters?: HostInterpreters;
  /** counts anomalies (`service.name`) */
  anomaly?: (name: string) => void;
  /** attaches a disassembly listing to code traces (evidence) */
  disassembler?: Disassembler;
  /** CPU instructions one code run may use (default 2,000,000) */
  instructionsPerRun?: number;
}

const LOG4J_VULNERABILITY = 'CVE-2021-44228';
/** `${jndi:`, or a nested lookup (`${${lower:j}ndi:`, `${${::-j}…`) that can spell it */
const JNDI_LOOKUP_SHAPE = /\$\{\s*(jndi\s*:|\$\{)/i;
/**
 * Calls one code run records before it stops: by then its behaviour is plain (a worm's sends repeat
 * for ever), and the rest of the budget would only cost time.
 */
const TRACE_LIMIT = { maxEvents: 512, stopWhenFull: true };
/** observations kept per lease; later ones are counted instead (a looping payload cannot fill memory) */
const MAX_OBSERVATIONS = 2_000;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function windowsVersionOf(profile: Profile): WindowsVersion {
  return /vista|2008|windows-7|windows-8|windows-10|2012|2016/.test(profile.os.product) ? '7' : 'xp';
}

export function emptyHostState(): HostState {
  return { listeners: new Map(), implants: new Set(), files: new Map(), services: new Map() };
}

export class EmulatedHost implements ServiceHost {
  readonly profile: Profile;
  readonly address: string;
  readonly hostname: string;
  state: HostState = emptyHostState();
  readonly observations: DummyObservation[] = [];
  observationsDropped = 0;
  private readonly vulnerabilities: Set<string>;
  private readonly networkOf: () => NetworkEndpoint;
  private readonly interpreters: HostInterpreters;
  private readonly countAnomaly: (name: string) => void;
  private readonly disassembler: Disassembler | undefined;
  private readonly instructionsPerRun: number;
  private virtualMs = 0;
  /** observers of each new observation (the victim's ordered feed) */
  onObservation: ((observation: DummyObservation) => void) | null = null;

  constructor(options: EmulatedHostOptions) {
    this.profile = options.profile;
    this.address = options.address;
    this.hostname = options.hostname ?? options.profile.id.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 15);
    this.vulnerabilities = new Set(options.profile.vulnerabilities.map((vulnerability) => vulnerability.id));
    this.networkOf = options.network;
    this.interpreters = options.interpreters ?? {};
    this.countAnomaly = options.anomaly ?? (() => undefined);
    this.disassembler = options.disassembler;
    this.instructionsPerRun = options.instructionsPerRun ?? 2_000_000;
  }

  get network(): NetworkEndpoint {
    return this.networkOf();
  }

  vulnerable(id: string): boolean {
    return this.vulnerabilities.has(id);
  }

  reportExploit(report: ExploitReport): boolean {
    const vulnerable = this.vulnerable(report.vulnerability);
    this.observe({ kind: 'exploit', vulnerable, at: this.virtualMs, ...report });
    return vulnerable;
  }

  runCode(bytes: Uint8Array, hints: CodeHints): void {
    const targets = this.targetsFor(hints);
    if (targets.length === 0) {
      this.anomaly('host.code_for_unsupported_architecture');
      return;
    }
    const windows = {
      version: windowsVersionOf(this.profile),
      applicationModules: this.interpreters.applicationModules?.(this.profile) ?? [],
    };
    // Choose the candidate in isolation (each try in its own recording world), then run the winner
    // once against the real network: only the code that really runs may leave egress evidence.
    const choose = (offsets: number[] | undefined) =>
      profileShellcode(bytes, {
        targets,
        windows,
        ...(offsets ? { offsets } : {}),
        placement: hints.placement ?? 'auto',
        traceLimit: TRACE_LIMIT,
        instructionsPerCandidate: this.instructionsPerRun,
        totalInstructions: this.instructionsPerRun * 4,
      });
    let choice = choose(hints.offsets);
    // the service's guess of where the code starts can be wrong (a worm pads its request its own
    // way): when that run did nothing outward, the finder's own candidates get their turn
    if (hints.offsets && !hasActiveEvents(choice.trace)) {
      const found = choose(undefined);
      if (hasActiveEvents(found.trace)) choice = found;
    }
    if (!choice.trace || !choice.candidate) return;
    const best = choice.attempts.reduce((a, b) => (b.score > a.score ? b : a));
    if (best.events === 0) return;
    const network = new ListenerTrackingEndpoint(this.network, (port) => this.openListener(port, hints.service));
    const run = new EmulatedRun(choice.candidate, { os: best.os, bits: best.bits, ...(targets[0]?.kernel ? { kernel: true } : {}) }, {
      endpoint: () => network,
      windows,
      placement: best.placement,
      traceLimit: TRACE_LIMIT,
      ...(this.disassembler ? { disassembler: this.disassembler } : {}),
    });
    const trace = run.resume(this.instructionsPerRun, 5_000);
    this.virtualMs += trace.virtualTimeMs;
    this.observe({
      kind: 'code',
      at: this.virtualMs,
      service: hints.service,
      ...(hints.vulnerability ? { vulnerability: hints.vulnerability } : {}),
      trace,
      bytesSha256: sha256(bytes),
    });
    this.deriveFromTrace(trace, hints.service);
  }

  runCommand(shell: ShellKind, commandLine: string, origin: string): string {
    const interpreter = this.interpreters.shell;
    if (!interpreter) {
      this.observe({ kind: 'exec', at: this.virtualMs, shell, command: commandLine, origin });
      return '';
    }
    return interpreter(shell, commandLine, this, origin);
  }

  evaluateLookups(text: string, origin: string): void {
    if (!text.includes('${')) return;
    if (!this.vulnerable(LOG4J_VULNERABILITY)) {
      // a patched Log4j logs the text as it is: an attempt when it carries a lookup that would reach JNDI
      if (JNDI_LOOKUP_SHAPE.test(text)) this.reportExploit({ vulnerability: LOG4J_VULNERABILITY, service: origin, detail: 'a logged request field carries a JNDI lookup; this Log4j does not evaluate it' });
      return;
    }
    const names = this.interpreters.log4j?.(text, this, origin) ?? [];
    if (names.length > 0) {
      this.reportExploit({ vulnerability: LOG4J_VULNERABILITY, service: origin, detail: `Log4j evaluated a lookup in a logged request field and reached JNDI: ${names.slice(0, 3).join(', ')}`.slice(0, 300) });
    }
  }

  observe(observation: DummyObservation): void {
    // a port opened by code or a command (nc -l, a bind shell) answers later connections with a shell
    if (observation.kind === 'listen' && observation.proto === 'tcp' && !this.state.listeners.has(`tcp/${observation.port}`)) {
      const answers: ShellKind = this.profile.os.kind === 'windows' ? 'cmd' : 'sh';
      this.state.listeners.set(`tcp/${observation.port}`, { proto: 'tcp', port: observation.port, answers, origin: observation.origin });
    }
    if (this.observations.length >= MAX_OBSERVATIONS) {
      this.observationsDropped++;
      return;
    }
    this.observations.push(observation);
    this.onObservation?.(observation);
  }

  anomaly(name: string): void {
    this.countAnomaly(name);
  }

  now(): number {
    return this.virtualMs;
  }

  /** Dwell: the host's clock moves on; emulated code already ran to its end within its budget. */
  advance(virtualMs: number): void {
    this.virtualMs += virtualMs;
  }

  advanceClock(virtualMs: number): void {
    this.advance(virtualMs);
  }

  /** Back to clean: no state, no observations, the clock at zero. */
  reset(): void {
    this.state = emptyHostState();
    this.observations.length = 0;
    this.observationsDropped = 0;
    this.virtualMs = 0;
  }

  private openListener(port: number, origin: string): void {
    if (this.state.listeners.has(`tcp/${port}`)) return;
    this.observe({ kind: 'listen', at: this.virtualMs, proto: 'tcp', port, origin });
  }

  /** Process starts and file writes of attacker code are observations of their own (verdict evidence). */
  private deriveFromTrace(trace: BehaviourTrace, origin: string): void {
    for (const event of trace.events) {
      const implant = kernelImplantOf(event);
      if (implant) {
        // what the kernel code changed stays until revert: a service whose dispatch slot it hooked finds it
        this.state.implants.add(implant.name);
        this.observe({ kind: 'implant', at: this.virtualMs, name: implant.name, mechanism: implant.mechanism, detail: implant.detail, origin });
      } else if (event.kind === 'process' && event.summary.startsWith('exec ')) {
        this.observe({ kind: 'exec', at: this.virtualMs, shell: 'process', command: commandOf(event), origin });
      } else if (event.kind === 'file' && event.summary.startsWith('write ')) {
        const path = typeof event.args.path === 'string' ? event.args.path : '?';
        const length = typeof event.args.length === 'number' ? event.args.length : 0;
        this.observe({ kind: 'file', at: this.virtualMs, path, bytes: length, sha256: '', origin });
      }
    }
  }

  private targetsFor(hints: CodeHints): ProfileTarget[] {
    const os = hints.os ?? (this.profile.os.kind === 'windows' ? 'windows' : 'linux');
    if (hints.kernel) return os === 'windows' && this.profile.arch === 'x64' ? [{ os: 'windows', bits: 64, kernel: true }] : [];
    if (this.profile.arch === 'arm') return [];
    if (hints.bits) return [{ os, bits: hints.bits }];
    // x64 systems run 32-bit code too (WOW64, ia32 emulation)
    return this.profile.arch === 'x64' ? [{ os, bits: 64 }, { os, bits: 32 }] : [{ os, bits: 32 }];
  }
}

function hasActiveEvents(trace: BehaviourTrace | null): boolean {
  return trace !== null && trace.events.some((event) => ACTIVE_KINDS.has(event.kind));
}

function commandOf(event: BehaviourEvent): string {
  const line = event.args.commandLine;
  if (typeof line === 'string') return line;
  const argv = event.args.argv;
  if (Array.isArray(argv)) return argv.join(' ');
  return event.summary.replace(/^exec /, '');
}

/**
 * The lease's network as attacker code sees it, with one addition: a socket that listens opens a
 * port on the host that later connections find (the bind shell answers the next connection).
 */
class ListenerTrackingEndpoint implements NetworkEndpoint {
  private readonly boundPorts = new Map<number, number>();

  constructor(
    private readonly inner: NetworkEndpoint,
    private readonly onListen: (port: number) => void,
  ) {}

  connect(socket: EndpointSocket, address: string, port: number) {
    return this.inner.connect(socket, address, port);
  }
  send(socket: EndpointSocket, bytes: Uint8Array): number {
    return this.inner.send(socket, bytes);
  }
  sendTo(socket: EndpointSocket, bytes: Uint8Array, address: string, port: number): number {
    return this.inner.sendTo(socket, bytes, address, port);
  }
  receive(socket: EndpointSocket, maxLength: number) {
    return this.inner.receive(socket, maxLength);
  }
  bind(socket: EndpointSocket, address: string, port: number): boolean {
    this.boundPorts.set(socket.id, port);
    return this.inner.bind(socket, address, port);
  }
  listen(socket: EndpointSocket, backlog: number): boolean {
    const port = this.boundPorts.get(socket.id);
    if (port !== undefined && port > 0) this.onListen(port);
    return this.inner.listen(socket, backlog);
  }
  accept(socket: EndpointSocket): AcceptResult {
    // The code goes on as if its operator connected (so it starts its shell); the real next
    // connection to the port is answered by the host's listener.
    const port = this.boundPorts.get(socket.id) ?? 0;
    return port > 0 ? { kind: 'connection', peerAddress: '0.0.0.0', peerPort: 0 } : this.inner.accept(socket);
  }
  resolve(name: string): string | null {
    return this.inner.resolve(name);
  }
  close(socket: EndpointSocket): void {
    this.boundPorts.delete(socket.id);
    this.inner.close(socket);
  }
}
