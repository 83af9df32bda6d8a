import { RegionAllocator } from '../behaviour/guest-allocators.ts';
import {
  instructionPointer,
  Perm,
  push,
  readCString,
  readPointer,
  stackPointer,
  type Bits,
  type GuestCpu,
  type GuestMemory,
  type RegisterName,
} from '../behaviour/guest.ts';
import { RecordingEndpoint, type EndpointSocket, type NetworkEndpoint, type SocketKind } from '../behaviour/network-endpoint.ts';
import { formatEndpoint, previewBytes, readSocketAddress, writeSocketAddress } from '../behaviour/sockaddr.ts';
import { TraceRecorder, type ArgumentValue, type BehaviourKind } from '../behaviour/trace.ts';
import { I386_SYSCALLS, SOCKETCALL, SOCKETCALL_RECV, SOCKETCALL_SEND, X86_64_SYSCALLS, type SyscallName } from './syscall-numbers.ts';
import { loadCodeOnStack } from '../behaviour/stack-code.ts';

export interface LinuxProcessOptions {
  endpoint?: NetworkEndpoint;
  maxEvents?: number;
  /** end the run once the trace is full: a worm's ten-thousandth send shows nothing new */
  stopWhenTraceFull?: boolean;
  /** total bytes mmap may hand out */
  mmapLimitBytes?: number;
}

export type FileDescriptor =
  | { kind: 'std'; stream: 0 | 1 | 2 }
  | { kind: 'socket'; socket: EndpointSocket; local?: string; remote?: string }
  | { kind: 'file'; path: string };

const ENOENT = 2;
const EBADF = 9;
const EAGAIN = 11;
const ENOTSOCK = 88;
const ECONNREFUSED = 111;
const ENOSYS = 38;
/** reads of a closed socket allowed before the run stops as blocked */
const MAX_CLOSED_READS = 4;

interface LinuxLayout {
  code: number;
  stackLimit: number;
  stackTop: number;
  heap: number;
  mmapBase: number;
  mmapEnd: number;
}

const LAYOUTS: Record<Bits, LinuxLayout> = {
  32: { code: 0x08048000, stackLimit: 0xbff00000, stackTop: 0xc0000000, heap: 0x09000000, mmapBase: 0x40000000, mmapEnd: 0xb0000000 },
  64: { code: 0x00400000, stackLimit: 0x7ffffff00000, stackTop: 0x7ffffffff000, heap: 0x01000000, mmapBase: 0x7f0000000000, mmapEnd: 0x7ff000000000 },
};

/** Arguments of one call, with the socketcall multiplexing already undone. */
interface SyscallArguments {
  name: SyscallName | undefined;
  number: number;
  values: number[];
  api: string;
}

/**
 * An emulated Linux process for attacker code: a stack, a code region, file descriptors 0-2,
 * sockets answered by a `NetworkEndpoint`, and the system calls shellcode makes on i386
 * (`int 0x80`, with socketcall) and x86-64 (`syscall`), recorded with decoded arguments.
 */
export class LinuxProcess {
  readonly bits: Bits;
  readonly memory: GuestMemory;
  readonly layout: LinuxLayout;
  readonly endpoint: NetworkEndpoint;
  readonly trace: TraceRecorder;
  readonly descriptors = new Map<number, FileDescriptor>();
  readonly regions: RegionAllocator;
  readonly processId = 1337;
  private brk: number;
  private readonly closedReads = new Map<number, number>();

  constructor(
    readonly cpu: GuestCpu,
    options: LinuxProcessOptions = {},
  ) {
    this.bits = cpu.bits;
    this.memory = cpu.memory;
    this.layout = LAYOUTS[this.bits];
    this.endpoint = options.endpoint ?? new RecordingEndpoint();
    this.trace = new TraceRecorder(() => cpu.instructionCount, options.maxEvents, options.stopWhenTraceFull ? () => cpu.stop('hook_stop', 'trace full') : null);
    this.regions = new RegionAllocator(this.memory, this.layout.mmapBase, this.layout.mmapEnd, options.mmapLimitBytes ?? 64 * 1024 * 1024);
    this.brk = this.layout.heap;
    this.memory.map(this.layout.stackLimit, this.layout.stackTop - this.layout.stackLimit, Perm.RW, 'stack');
    for (const stream of [0, 1, 2] as const) this.descriptors.set(stream, { kind: 'std', stream });
  }

  loadCode(bytes: Uint8Array): number {
    const size = Math.max(0x100000, Math.ceil((bytes.length + 0x10000) / 0x1000) * 0x1000);
    this.memory.map(this.layout.code, size, Perm.RWX, 'attacker code');
    this.memory.write(this.layout.code, bytes);
    return this.layout.code;
  }

  get initialStackPointer(): number {
    return this.layout.stackTop - 0x1000;
  }

  /** Attacker code on the stack, as a stack overflow leaves it (see behaviour/stack-code.ts). */
  loadCodeOnStack(bytes: Uint8Array): number {
    return loadCodeOnStack(this.memory, this.layout.stackLimit, this.layout.stackTop, bytes);
  }

  /** A return into nothing (address 0) on the stack; general registers zero, as after execve. */
  prepareThread(entry: number, stackPointerAt?: number): void {
    const cpu = this.cpu;
    cpu.setRegister(stackPointer(this.bits), BigInt(stackPointerAt ?? this.initialStackPointer));
    if (stackPointerAt === undefined) push(cpu, 0);
    const names: RegisterName[] =
      this.bits === 64
        ? ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15']
        : ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp'];
    for (const name of names) cpu.setRegister(name, 0n);
    cpu.setRegister(instructionPointer(this.bits), BigInt(entry));
  }

  /** `int 0x80` / `sysenter` (i386 numbering) or `syscall` (x86-64 numbering in 64-bit code). */
  handleSyscall(kind: string): void {
    const call = this.decode(kind);
    const result = this.dispatch(call);
    if (result === 'blocked') {
      this.cpu.stop('blocked', call.api);
      return;
    }
    if (result === 'no_return') return;
    this.cpu.setRegister(this.bits === 64 ? 'rax' : 'eax', BigInt.asUintN(this.bits, BigInt(result)));
  }

  private decode(kind: string): SyscallArguments {
    const cpu = this.cpu;
    const read = (name: RegisterName): number => Number(cpu.getRegister(name));
    if (this.bits === 64 && kind === 'syscall') {
      const number = read('rax');
      const values = (['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'] as const).map(read);
      const name = X86_64_SYSCALLS[number];
      return { name, number, values, api: `linux.${name ?? `syscall_${number}`}` };
    }
    const number = read('eax') >>> 0;
    const values = (['ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp'] as const).map((register) => read(register) >>> 0);
    const name = I386_SYSCALLS[number];
    if (name === 'socketcall') {
      const subcall = values[0]!;
      const pointer = values[1]!;
      const words: number[] = [];
      for (let i = 0; i < 6; i++) words.push(this.memory.isMapped(pointer + i * 4, 4) ? this.memory.readU32(pointer + i * 4) : 0);
      const subName = SOCKETCALL[subcall];
      // send/recv (9/10) have no address arguments: give them sendto/recvfrom's shape
      if (subcall === SOCKETCALL_SEND || subcall === SOCKETCALL_RECV) words[4] = 0;
      return { name: subName, number: subcall, values: words, api: `linux.socketcall.${subName ?? subcall}` };
    }
    return { name, number, values, api: `linux.${name ?? `syscall_${number}`}` };
  }

  private record(call: SyscallArguments, kind: BehaviourKind, summary: string, args: Record<string, ArgumentValue>, returnValue?: number): void {
    const event: Parameters<TraceRecorder['record']>[0] = { api: call.api, kind, summary, args };
    if (returnValue !== undefined) event.returnValue = returnValue;
    this.trace.record(event);
  }

  private dispatch(call: SyscallArguments): number | 'blocked' | 'no_return' {
    const [a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0] = call.values;
    switch (call.name) {
      case 'socket': {
        const type = a1 & 0xf;
        const kind: SocketKind = type === 2 ? 'udp' : type === 3 ? 'raw' : 'tcp';
        const fd = this.allocateDescriptor();
        this.descriptors.set(fd, { kind: 'socket', socket: { id: fd, kind } });
        this.record(call, 'network', `socket ${kind}`, { family: a0, type: a1, protocol: a2, fd }, fd);
        return fd;
      }
      case 'connect': {
        const socket = this.socketOf(a0);
        const target = readSocketAddress(this.memory, a1);
        const where = formatEndpoint(target.address, target.port);
        if (!socket) return -ENOTSOCK;
        const result = this.endpoint.connect(socket.socket, target.address, target.port);
        if (result.kind === 'would_block') return 'blocked';
        socket.remote = where;
        const value = result.kind === 'connected' ? 0 : -ECONNREFUSED;
        this.record(call, 'network', `connect ${where}`, { address: target.address, port: target.port, fd: a0, result: result.kind }, value);
        return value;
      }
      case 'bind': {
        const socket = this.socketOf(a0);
        const local = readSocketAddress(this.memory, a1);
        if (!socket) return -ENOTSOCK;
        socket.local = formatEndpoint(local.address, local.port);
        this.endpoint.bind(socket.socket, local.address, local.port);
        this.record(call, 'network', `bind ${socket.local}`, { address: local.address, port: local.port, fd: a0 }, 0);
        return 0;
      }
      case 'listen': {
        const socket = this.socketOf(a0);
        if (!socket) return -ENOTSOCK;
        this.endpoint.listen(socket.socket, a1);
        this.record(call, 'network', `listen ${socket.local ?? '?'}`, { fd: a0, backlog: a1 }, 0);
        return 0;
      }
      case 'accept':
      case 'accept4': {
        const socket = this.socketOf(a0);
        if (!socket) return -ENOTSOCK;
        const result = this.endpoint.accept(socket.socket);
        if (result.kind === 'would_block') return 'blocked';
        const fd = this.allocateDescriptor();
        const remote = formatEndpoint(result.peerAddress, result.peerPort);
        const accepted: FileDescriptor = { kind: 'socket', socket: { id: fd, kind: 'tcp' }, remote };
        if (socket.local !== undefined) accepted.local = socket.local;
        this.descriptors.set(fd, accepted);
        writeSocketAddress(this.memory, a1, result.peerAddress, result.peerPort);
        this.record(call, 'network', `accept on ${socket.local ?? '?'} from ${remote}`, { fd: a0, accepted: fd }, fd);
        return fd;
      }
      case 'read':
      case 'recvfrom':
      case 'recvmsg':
        return this.readCall(call, a0, a1, a2);
      case 'write':
      case 'sendto':
      case 'sendmsg':
        return this.writeCall(call, a0, a1, a2, call.name === 'sendto' ? a4 : 0);
      case 'dup2':
      case 'dup3': {
        const source = this.descriptors.get(a0);
        if (!source) return -EBADF;
        this.descriptors.set(a1, source);
        this.record(call, 'process', `dup2 ${describe(source, a0)} -> ${streamName(a1)}`, { from: a0, to: a1 }, a1);
        return a1;
      }
      case 'dup': {
        const source = this.descriptors.get(a0);
        if (!source) return -EBADF;
        const fd = this.allocateDescriptor();
        this.descriptors.set(fd, source);
        return fd;
      }
      case 'execve':
      case 'execveat': {
        const [pathPointer, argvPointer] = call.name === 'execveat' ? [a1, a2] : [a0, a1];
        const path = readCString(this.memory, pathPointer, 4096);
        const argv = this.readStringArray(argvPointer);
        const stdio = this.describeStdio();
        const commandLine = argv.length > 0 ? argv.join(' ') : path;
        const args: Record<string, ArgumentValue> = { path, argv, commandLine };
        if (stdio) args.stdio = stdio;
        this.record(call, 'process', `exec ${commandLine}${stdio ? ` (stdio: ${stdio})` : ''}`, args);
        // a successful execve does not return: the attacker's code is gone, the new program runs
        this.cpu.stop('exit', 'execve');
        return 'no_return';
      }
      case 'open':
      case 'openat':
      case 'creat': {
        const pathPointer = call.name === 'openat' ? a1 : a0;
        const flags = call.name === 'openat' ? a2 : call.name === 'creat' ? 0x241 : a1;
        const path = readCString(this.memory, pathPointer, 4096);
        if (path === '') return -ENOENT;
        const fd = this.allocateDescriptor();
        this.descriptors.set(fd, { kind: 'file', path });
        const writing = (flags & 3) !== 0;
        this.record(call, 'file', `open ${path}${writing ? ' for writing' : ''}`, { path, flags }, fd);
        return fd;
      }
      case 'close':
        if (!this.descriptors.delete(a0)) return -EBADF;
        return 0;
      case 'exit':
      case 'exit_group':
        this.record(call, 'exit', `${call.name} ${a0 | 0}`, { code: a0 | 0 });
        this.cpu.stop('exit', call.api, a0 | 0);
        return 'no_return';
      case 'mmap':
      case 'mmap2':
        return this.mmap(call, a0, a1, a2);
      case 'old_mmap': {
        const words = [0, 1, 2].map((i) => (this.memory.isMapped(a0 + i * 4, 4) ? this.memory.readU32(a0 + i * 4) : 0));
        return this.mmap(call, words[0]!, words[1]!, words[2]!);
      }
      case 'munmap':
        return this.regions.release(a0) ? 0 : 0;
      case 'mprotect': {
        if (!this.memory.isMapped(a0, Math.max(a1, 1))) return -12; // ENOMEM
        this.memory.protect(a0, a1, a2 & 7);
        this.record(call, 'memory', `mprotect 0x${a0.toString(16)} +${a1} ${protectionName(a2)}`, { address: a0, length: a1, prot: protectionName(a2) }, 0);
        return 0;
      }
      case 'brk': {
        if (a0 > this.brk && a0 < this.layout.heap + 0x01000000) {
          this.memory.map(this.brk, a0 - this.brk, Perm.RW, 'brk heap');
          this.brk = a0;
        }
        return this.brk;
      }
      case 'nanosleep': {
        const seconds = this.memory.isMapped(a0, 8) ? this.memory.readU32(a0) : 0;
        this.trace.virtualTimeMs += seconds * 1000;
        this.record(call, 'time', `sleep ${seconds} s`, { seconds }, 0);
        return 0;
      }
      case 'fork':
      case 'vfork':
      case 'clone':
        // we carry on as the child, whose path is the one attacker code cares about
        this.record(call, 'process', call.name, {}, 0);
        return 0;
      case 'getpid':
        return this.processId;
      case 'getuid':
      case 'geteuid':
      case 'setuid':
      case 'setgid':
      case 'setreuid':
      case 'setregid':
      case 'setresuid':
      case 'setresgid':
      case 'setsid':
      case 'alarm':
      case 'rt_sigaction':
      case 'sigaction':
      case 'shutdown':
      case 'setsockopt':
      case 'fcntl':
        this.record(call, 'other', `${call.name}(${call.values.slice(0, 3).join(', ')})`, { arg0: a0, arg1: a1 }, 0);
        return 0;
      case 'unlink':
      case 'chmod':
      case 'mkdir': {
        const path = readCString(this.memory, a0, 4096);
        this.record(call, 'file', `${call.name} ${path}`, { path, mode: a1 }, 0);
        return 0;
      }
      default:
        this.record(call, 'other', `${call.api.replace(/^linux\./, '')}(${[a0, a1, a2, a3].map((value) => `0x${value.toString(16)}`).join(', ')}) -> ENOSYS`, { number: call.number }, -ENOSYS);
        return -ENOSYS;
    }
  }

  private readCall(call: SyscallArguments, fd: number, buffer: number, length: number): number | 'blocked' {
    const descriptor = this.descriptors.get(fd);
    if (!descriptor) return -EBADF;
    if (descriptor.kind !== 'socket') return 0;
    const result = this.endpoint.receive(descriptor.socket, length);
    if (result.kind === 'would_block') return call.name === 'read' ? 'blocked' : -EAGAIN;
    // a stager that never checks for end of stream would read a closed socket for ever
    const closedReads = result.kind === 'closed' ? (this.closedReads.get(fd) ?? 0) + 1 : 0;
    this.closedReads.set(fd, closedReads);
    if (closedReads > MAX_CLOSED_READS) return 'blocked';
    const bytes = result.kind === 'data' ? result.bytes : new Uint8Array(0);
    if (bytes.length > 0 && this.memory.isMapped(buffer, bytes.length)) this.memory.write(buffer, bytes);
    this.record(call, 'network', `recv ${bytes.length} bytes from ${descriptor.remote ?? '?'}`, { fd, requested: length, length: bytes.length }, bytes.length);
    return bytes.length;
  }

  private writeCall(call: SyscallArguments, fd: number, buffer: number, length: number, addressPointer: number): number {
    const descriptor = this.descriptors.get(fd);
    if (!descriptor) return -EBADF;
    const bytes = length > 0 && length < 0x1000000 && this.memory.isMapped(buffer, length) ? this.memory.read(buffer, length) : new Uint8Array(0);
    if (descriptor.kind === 'socket') {
      if (addressPointer !== 0) {
        const target = readSocketAddress(this.memory, addressPointer);
        const sent = this.endpoint.sendTo(descriptor.socket, bytes, target.address, target.port);
        this.record(call, 'network', `sendto ${formatEndpoint(target.address, target.port)} ${bytes.length} bytes`, { fd, address: target.address, port: target.port, length: bytes.length }, sent);
        return sent;
      }
      const sent = this.endpoint.send(descriptor.socket, bytes);
      this.record(call, 'network', `send ${bytes.length} bytes to ${descriptor.remote ?? '?'}`, { fd, length: bytes.length, preview: previewBytes(bytes) }, sent);
      return sent;
    }
    const target = descriptor.kind === 'file' ? descriptor.path : streamName(fd);
    this.record(call, descriptor.kind === 'file' ? 'file' : 'other', `write ${bytes.length} bytes to ${target}`, { fd, length: bytes.length, preview: previewBytes(bytes) }, bytes.length);
    return bytes.length;
  }

  private mmap(call: SyscallArguments, wanted: number, length: number, prot: number): number {
    const address = this.regions.allocate(length, prot & 7, wanted, 'mmap');
    if (address === 0) return -12; // ENOMEM
    this.record(call, 'memory', `mmap ${length} bytes ${protectionName(prot)} at 0x${address.toString(16)}`, { length, prot: protectionName(prot) }, address);
    return address;
  }

  private socketOf(fd: number): Extract<FileDescriptor, { kind: 'socket' }> | undefined {
    const descriptor = this.descriptors.get(fd);
    return descriptor?.kind === 'socket' ? descriptor : undefined;
  }

  private allocateDescriptor(): number {
    let fd = 3;
    while (this.descriptors.has(fd)) fd++;
    return fd;
  }

  private readStringArray(pointer: number): string[] {
    const out: string[] = [];
    const size = this.bits / 8;
    for (let i = 0; i < 64 && pointer !== 0 && this.memory.isMapped(pointer + i * size, size); i++) {
      const item = readPointer(this.memory, this.bits, pointer + i * size);
      if (item === 0) break;
      out.push(readCString(this.memory, item, 4096));
    }
    return out;
  }

  /** `socket 192.0.2.1:4444` when stdin/stdout/stderr were redirected to a socket. */
  private describeStdio(): string {
    const described = new Set<string>();
    for (const stream of [0, 1, 2]) {
      const descriptor = this.descriptors.get(stream);
      if (descriptor?.kind === 'socket') described.add(`socket ${descriptor.remote ?? descriptor.local ?? descriptor.socket.id}`);
    }
    return [...described].join(', ');
  }
}

function streamName(fd: number): string {
  return fd === 0 ? 'stdin' : fd === 1 ? 'stdout' : fd === 2 ? 'stderr' : `fd ${fd}`;
}

function describe(descriptor: FileDescriptor, fd: number): string {
  if (descriptor.kind === 'socket') return `socket ${descriptor.remote ?? descriptor.local ?? fd}`;
  if (descriptor.kind === 'file') return descriptor.path;
  return streamName(descriptor.stream);
}

function protectionName(prot: number): string {
  return `${prot & 1 ? 'R' : '-'}${prot & 2 ? 'W' : '-'}${prot & 4 ? 'X' : '-'}`;
}
