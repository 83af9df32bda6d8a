import { GuestHeap, RegionAllocator } from '../behaviour/guest-allocators.ts';
import {
  encodeCString,
  encodeWideString,
  instructionPointer,
  Perm,
  push,
  stackPointer,
  writePointer,
  type Bits,
  type GuestCpu,
  type GuestMemory,
  type RegisterName,
} from '../behaviour/guest.ts';
import { RecordingEndpoint, type EndpointSocket, type NetworkEndpoint } from '../behaviour/network-endpoint.ts';
import { TraceRecorder } from '../behaviour/trace.ts';
import { ApiCall, BLOCKED } from './api-call.ts';
import { API_HANDLERS, defaultHandler } from './api-handlers.ts';
import { ExceptionDispatcher, type GuestFault } from './exception-dispatcher.ts';
import { onDemandExport, parseExports, WINDOWS_DLLS, type ExportSpec } from './dll-exports.ts';
import { buildPeImage, STUB_SIZE } from './pe-image.ts';
import { linkList, OFFSETS, StructureArena } from './process-structures.ts';
import { loadCodeOnStack } from '../behaviour/stack-code.ts';

export type WindowsVersion = 'xp' | '7';

export interface WindowsProcessOptions {
  /** xp: 5.1.2600, kernel32 second in the initialization order; 7: 6.1.7601, kernelbase before kernel32.
   *  Default: xp on x86, 7 on x64. */
  version?: WindowsVersion;
  endpoint?: NetworkEndpoint;
  imageName?: string;
  commandLine?: string;
  maxEvents?: number;
  /** end the run once the trace is full: a worm's ten-thousandth send shows nothing new */
  stopWhenTraceFull?: boolean;
  /** total bytes VirtualAlloc may hand out (a memory bomb stops here) */
  virtualAllocLimitBytes?: number;
  /** modules of the vulnerable application, from the dummy's profile: exploits that call through
   *  the application's import table (a fixed address in a DLL without ASLR) find the APIs there */
  applicationModules?: ApplicationModule[];
}

export interface ApplicationModule {
  /** `sqlsort.dll` */
  name: string;
  base: number;
  /** bytes to map from `base` */
  size: number;
  /** import address table slots: absolute address → `kernel32.dll!LoadLibraryA` */
  imports: Record<number, string>;
}

export interface WindowsModule {
  /** lower-case file name, `kernel32.dll` */
  name: string;
  path: string;
  base: number;
  size: number;
  entryPoint: number;
  exportsByName: Map<string, number>;
  exportsByOrdinal: Map<number, number>;
  ldrEntry: number;
}

export interface HookTarget {
  module: WindowsModule;
  name: string;
  spec: ExportSpec;
  address: number;
}

export type HandleObject =
  | { kind: 'socket'; socket: EndpointSocket; local?: string; remote?: string }
  | { kind: 'file'; path: string; write: boolean }
  | { kind: 'process'; commandLine: string }
  | { kind: 'thread'; start: number }
  | { kind: 'internet'; url?: string; server?: string; port?: number; verb?: string; path?: string }
  | { kind: 'other'; name: string };

interface ProcessLayout {
  parameters: number;
  stackLimit: number;
  stackTop: number;
  heap: number;
  heapSize: number;
  loader: number;
  loaderSize: number;
  code: number;
  image: number;
  virtualBase: number;
  virtualEnd: number;
  dynamicModules: number;
  teb: number;
  peb: number;
}

const LAYOUTS: Record<Bits, ProcessLayout> = {
  32: {
    parameters: 0x00020000,
    stackLimit: 0x00030000,
    stackTop: 0x00130000,
    heap: 0x00140000,
    heapSize: 0x00100000,
    loader: 0x00250000,
    loaderSize: 0x00010000,
    code: 0x00300000,
    image: 0x00400000,
    virtualBase: 0x01000000,
    virtualEnd: 0x60000000,
    dynamicModules: 0x60000000,
    teb: 0x7ffde000,
    peb: 0x7ffdf000,
  },
  64: {
    parameters: 0x00020000,
    stackLimit: 0x00100000,
    stackTop: 0x00200000,
    heap: 0x00300000,
    heapSize: 0x00100000,
    loader: 0x00400000,
    loaderSize: 0x00010000,
    code: 0x00500000,
    image: 0x140000000,
    virtualBase: 0x10000000,
    virtualEnd: 0x70000000,
    dynamicModules: 0x7fee0000000,
    teb: 0x7fffffde000,
    peb: 0x7fffffd5000,
  },
};

const KUSER_SHARED_DATA = 0x7ffe0000;
/** reads of a closed socket allowed before the run stops as blocked */
const MAX_CLOSED_READS = 4;
const SYSTEM32 = 'C:\\WINDOWS\\system32\\';
/** where the input bytes go: enough room for the largest payloads plus what decoders unpack */
export const CODE_REGION_SIZE = 0x100000;

/**
 * An emulated Windows user-mode process, built into guest memory: TEB and PEB, the loader's
 * three module lists, in-memory PE images with real export names for the DLLs attacker code
 * resolves, a stack with an SEH chain, a heap, handles, and hooks on every export that turn calls
 * into behaviour events.
 */
export class WindowsProcess {
  readonly bits: Bits;
  readonly memory: GuestMemory;
  readonly version: WindowsVersion;
  readonly layout: ProcessLayout;
  readonly endpoint: NetworkEndpoint;
  readonly trace: TraceRecorder;
  readonly modules: WindowsModule[] = [];
  readonly heap: GuestHeap;
  readonly regions: RegionAllocator;
  readonly handles = new Map<number, HandleObject>();
  readonly processId = 0x4d8;
  readonly threadId = 0x1f0;
  readonly imageName: string;
  readonly commandLine: string;
  unhandledExceptionFilter = 0;
  /** thread-local (and fiber-local: one thread, no fibers) storage slots, by index */
  readonly localStorage: Array<number | undefined> = [];
  private readonly hooks = new Map<number, HookTarget>();
  private readonly arena: StructureArena;
  private readonly ldr: number;
  private nextHandle = 0x7c;
  private nextDynamicModule: number;
  private commandLinePointers: { ansi: number; wide: number } = { ansi: 0, wide: 0 };
  private readonly exceptions: ExceptionDispatcher;
  private readonly exceptionReturn: number;

  constructor(
    readonly cpu: GuestCpu,
    options: WindowsProcessOptions = {},
  ) {
    this.bits = cpu.bits;
    this.memory = cpu.memory;
    this.version = options.version ?? (this.bits === 64 ? '7' : 'xp');
    this.layout = LAYOUTS[this.bits];
    this.endpoint = options.endpoint ?? new RecordingEndpoint();
    this.trace = new TraceRecorder(() => cpu.instructionCount, options.maxEvents, options.stopWhenTraceFull ? () => cpu.stop('hook_stop', 'trace full') : null);
    this.imageName = options.imageName ?? 'svchost.exe';
    this.commandLine = options.commandLine ?? `${SYSTEM32}${this.imageName} -k netsvcs`;
    this.nextDynamicModule = this.layout.dynamicModules;

    const layout = this.layout;
    this.memory.map(layout.loader, layout.loaderSize, Perm.RW, 'loader data');
    this.arena = new StructureArena(this.memory, layout.loader, layout.loaderSize);
    this.ldr = this.arena.allocate(OFFSETS[this.bits].ldr.size);
    this.heap = new GuestHeap(this.memory, layout.heap, layout.heapSize, 'process heap');
    this.regions = new RegionAllocator(this.memory, layout.virtualBase, layout.virtualEnd, options.virtualAllocLimitBytes ?? 64 * 1024 * 1024);

    this.loadModule(this.imageName, [], layout.image, `C:\\WINDOWS\\system32\\${this.imageName}`);
    for (const dll of WINDOWS_DLLS) {
      if (dll.name === 'kernelbase.dll' && this.version === 'xp') continue;
      this.loadModule(dll.name, parseExports(dll.exports), this.bits === 64 ? dll.base64 : dll.base32, `${SYSTEM32}${dll.name}`);
    }
    for (const application of options.applicationModules ?? []) this.loadApplicationModule(application);
    this.buildParameters();
    this.buildLdr();
    this.buildPeb();
    this.buildTeb();
    this.buildSharedUserData();
    this.buildStack();
    this.exceptionReturn = this.allocateStub();
    this.cpu.addHook(this.exceptionReturn);
    const lastResort = this.exportAddress('kernel32.dll', 'UnhandledExceptionFilter');
    this.exceptions = new ExceptionDispatcher({
      cpu,
      trace: this.trace,
      teb: layout.teb,
      returnStub: this.exceptionReturn,
      lastResort: new Set(lastResort === undefined ? [] : [lastResort]),
    });
  }

  /**
   * A guest fault, offered to the code's own structured exception handlers (32-bit: the fs:[0]
   * chain). True when a handler now runs; false ends the run with the fault.
   */
  handleException(fault: GuestFault): boolean {
    return this.exceptions.raise(fault);
  }

  // ---- public API ---------------------------------------------------------------------------

  hookAddresses(): number[] {
    return [...this.hooks.keys()];
  }

  hookAt(address: number): HookTarget | undefined {
    return this.hooks.get(address);
  }

  findModule(name: string): WindowsModule | undefined {
    const wanted = normaliseModuleName(name);
    return this.modules.find((module) => module.name === wanted || module.name === `${wanted}.dll`);
  }

  moduleAt(base: number): WindowsModule | undefined {
    return this.modules.find((module) => module.base === base);
  }

  /** The address of an export's stub: what GetProcAddress returns. */
  exportAddress(dll: string, name: string): number | undefined {
    return this.findModule(dll)?.exportsByName.get(name);
  }

  /** Loads a DLL the guest asks for: a known one is already there, an unknown one gets an empty image. */
  loadLibrary(name: string): WindowsModule {
    const existing = this.findModule(name);
    if (existing) return existing;
    let fileName = normaliseModuleName(name);
    if (!/\.[a-z0-9]+$/.test(fileName)) fileName += '.dll';
    const alias = ALIASES[fileName];
    if (alias) {
      const target = this.findModule(alias);
      if (target) return target;
    }
    const base = this.nextDynamicModule;
    const module = this.loadModule(fileName, [], base, `${SYSTEM32}${fileName}`);
    this.nextDynamicModule += Math.max(module.size, 0x10000);
    this.appendToLdr(module);
    return module;
  }

  /** An export address for a name the module does not have: a fresh hooked stub, so the call is seen. */
  dynamicExport(module: WindowsModule, name: string): number {
    const existing = module.exportsByName.get(name);
    if (existing !== undefined) return existing;
    const address = this.allocateStub();
    module.exportsByName.set(name, address);
    this.addHook({ module, name, spec: onDemandExport(module.name, name) ?? { name, argumentCount: 0, cdecl: false, argumentCountKnown: false }, address });
    return address;
  }

  /** Copies attacker code into an RWX region and returns its address. */
  loadCode(bytes: Uint8Array): number {
    const size = Math.max(CODE_REGION_SIZE, Math.ceil((bytes.length + 0x10000) / 0x1000) * 0x1000);
    this.memory.map(this.layout.code, size, Perm.RWX, 'attacker code');
    this.memory.write(this.layout.code, bytes);
    return this.layout.code;
  }

  /** Attacker code on the stack, as a stack overflow leaves it (see behaviour/stack-code.ts). */
  loadCodeOnStack(bytes: Uint8Array): number {
    return loadCodeOnStack(this.memory, this.layout.stackLimit, this.layout.stackTop, bytes);
  }

  /**
   * Points the CPU at `entry` as a new thread would start there: a return into ExitThread on the
   * stack (code that returns ends cleanly), and general registers holding the entry address, which
   * is what register-based decoders (alphanumeric ones) expect of an exploit's jump into the buffer.
   */
  prepareThread(entry: number, stackPointerAt?: number): void {
    const cpu = this.cpu;
    const sp = stackPointer(this.bits);
    if (stackPointerAt === undefined) {
      cpu.setRegister(sp, BigInt(this.initialStackPointer));
      push(cpu, this.exportAddress('kernel32.dll', 'ExitThread') ?? 0);
    } else {
      cpu.setRegister(sp, BigInt(stackPointerAt));
    }
    const names: RegisterName[] =
      this.bits === 64 ? ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi'] : ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi'];
    for (const name of names) cpu.setRegister(name, BigInt(entry));
    cpu.setRegister(this.bits === 64 ? 'rbp' : 'ebp', cpu.getRegister(sp));
    if (this.bits === 64) for (const name of ['r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const) cpu.setRegister(name, 0n);
    cpu.setRegister(instructionPointer(this.bits), BigInt(entry));
  }

  /**
   * Execution reached `address`. Returns false when it is not one of ours. A handler that blocks
   * leaves the instruction pointer on the stub, so resuming the CPU repeats the call.
   */
  handleHook(address: number): boolean {
    if (address === this.exceptionReturn) {
      this.exceptions.handlerReturned();
      return true;
    }
    const target = this.hooks.get(address);
    if (!target) return false;
    const call = new ApiCall(this, this.cpu, target);
    const handler = API_HANDLERS[target.name] ?? defaultHandler;
    const result = handler(call);
    if (result === BLOCKED) {
      this.cpu.setRegister(instructionPointer(this.bits), BigInt(address));
      this.cpu.stop('blocked', call.api);
      return true;
    }
    if (call.stopped) return true;
    call.complete(result ?? 0);
    return true;
  }

  /**
   * A native system call (int 0x2e, sysenter, syscall). Egg hunters probe memory this way: the
   * kernel answers STATUS_ACCESS_VIOLATION for an unreadable argument pointer, which is what we do.
   */
  handleSyscall(kind: string): void {
    const cpu = this.cpu;
    const service = Number(cpu.getRegister(this.bits === 64 ? 'rax' : 'eax')) & 0xffff;
    const pointer = Number(cpu.getRegister(this.bits === 64 ? 'r10' : 'edx'));
    const probeFails = !this.memory.isMapped(pointer, 1);
    cpu.setRegister(this.bits === 64 ? 'rax' : 'eax', probeFails ? 0xc0000005n : 0xc0000002n);
    if (this.trace.events.length === 0 || this.trace.events[this.trace.events.length - 1]!.api !== 'nt.syscall') {
      this.trace.record({ api: 'nt.syscall', kind: 'other', summary: `native syscall 0x${service.toString(16)} via ${kind}`, args: { service, kind } });
    }
  }

  private readonly closedReads = new Map<number, number>();

  /**
   * A stager whose peer closed keeps calling recv for ever (it never checks for 0). After a few
   * such reads the run stops as blocked, on the recv: resumed with data, it carries on.
   */
  keepsReadingClosed(socket: number, closed: boolean): boolean {
    const count = closed ? (this.closedReads.get(socket) ?? 0) + 1 : 0;
    this.closedReads.set(socket, count);
    return count > MAX_CLOSED_READS;
  }

  newHandle(object: HandleObject): number {
    const handle = this.nextHandle;
    this.nextHandle += 4;
    this.handles.set(handle, object);
    return handle;
  }

  get lastError(): number {
    return this.memory.readU32(this.layout.teb + OFFSETS[this.bits].teb.lastError);
  }

  set lastError(value: number) {
    this.memory.writeU32(this.layout.teb + OFFSETS[this.bits].teb.lastError, value >>> 0);
  }

  get commandLineAddress(): { ansi: number; wide: number } {
    return this.commandLinePointers;
  }

  get initialStackPointer(): number {
    return this.layout.stackTop - 0x100;
  }

  /** Writes a string into the heap and returns its address (for APIs that return strings). */
  allocateString(text: string, wide: boolean): number {
    const bytes = wide ? encodeWideString(text) : encodeCString(text);
    const address = this.heap.allocate(bytes.length);
    if (address !== 0) this.memory.write(address, bytes);
    return address;
  }

  // ---- building -----------------------------------------------------------------------------

  private loadModule(name: string, exports: ExportSpec[], base: number, path: string): WindowsModule {
    const image = buildPeImage(name, exports, this.bits, base);
    this.memory.map(base, image.sizeOfImage, Perm.RX, name);
    this.memory.write(base, image.bytes);
    const module: WindowsModule = {
      name,
      path,
      base,
      size: image.sizeOfImage,
      entryPoint: base + image.entryPointRva,
      exportsByName: new Map(),
      exportsByOrdinal: new Map(),
      ldrEntry: 0,
    };
    for (const built of image.exports) {
      const address = base + built.rva;
      module.exportsByName.set(built.name, address);
      module.exportsByOrdinal.set(built.ordinal, address);
      this.addHook({ module, name: built.name, spec: built.spec, address });
    }
    this.modules.push(module);
    return module;
  }

  private loadApplicationModule(application: ApplicationModule): void {
    const module = this.loadModule(application.name.toLowerCase(), [], application.base, `C:\\Program Files\\${application.name}`);
    if (application.size > module.size) {
      this.memory.map(application.base + module.size, application.size - module.size, Perm.READ, application.name);
      module.size = application.size;
    }
    for (const [slot, imported] of Object.entries(application.imports)) {
      const [dll, name] = imported.split('!') as [string, string];
      const target = this.findModule(dll);
      const address = target ? (target.exportsByName.get(name) ?? this.dynamicExport(target, name)) : 0;
      writePointer(this.memory, this.bits, Number(slot), address);
    }
  }

  private addHook(target: HookTarget): void {
    this.hooks.set(target.address, target);
    this.cpu.addHook(target.address);
  }

  private dynamicStubs: { base: number; next: number; end: number } | null = null;

  /** a fresh `ret` stub in the dynamic stub region, for a hook the process owns */
  private allocateStub(): number {
    const stubs = this.dynamicStubRegion();
    const address = stubs.next;
    stubs.next += STUB_SIZE;
    this.memory.write(address, Uint8Array.of(0xc3));
    return address;
  }

  private dynamicStubRegion(): { base: number; next: number; end: number } {
    if (this.dynamicStubs === null || this.dynamicStubs.next + STUB_SIZE > this.dynamicStubs.end) {
      const base = this.nextDynamicModule;
      this.memory.map(base, 0x10000, Perm.RX, 'dynamic stubs');
      this.memory.write(base, new Uint8Array(0x10000).fill(0xcc));
      this.nextDynamicModule += 0x10000;
      this.dynamicStubs = { base, next: base, end: base + 0x10000 };
    }
    return this.dynamicStubs;
  }

  private buildParameters(): void {
    const layout = this.layout;
    const offsets = OFFSETS[this.bits];
    this.memory.map(layout.parameters, 0x2000, Perm.RW, 'process parameters');
    const parameters = layout.parameters;
    this.memory.writeU32(parameters, offsets.parameters.size);
    const strings = new StructureArena(this.memory, parameters + offsets.parameters.size, 0x2000 - offsets.parameters.size);
    strings.unicodeString(this.bits, parameters + offsets.parameters.imagePathName, `${SYSTEM32}${this.imageName}`);
    strings.unicodeString(this.bits, parameters + offsets.parameters.commandLine, this.commandLine);
    const ansi = strings.allocate(this.commandLine.length + 1);
    this.memory.write(ansi, encodeCString(this.commandLine));
    const wideBuffer = Number(
      this.bits === 64
        ? this.memory.readU64(parameters + offsets.parameters.commandLine + 8)
        : BigInt(this.memory.readU32(parameters + offsets.parameters.commandLine + 4)),
    );
    this.commandLinePointers = { ansi, wide: wideBuffer };
  }

  /** Orders: load = exe, ntdll, kernel32, (kernelbase), rest; memory = same; initialization =
   *  ntdll, then kernel32 on XP or kernelbase, kernel32 on 7, then the rest (no exe). */
  private buildLdr(): void {
    const offsets = OFFSETS[this.bits];
    for (const module of this.modules) module.ldrEntry = this.writeLdrEntry(module);
    this.memory.writeU32(this.ldr + offsets.ldr.length, offsets.ldr.size);
    this.memory.writeU8(this.ldr + offsets.ldr.initialized, 1);
    this.relinkLdr();
  }

  private appendToLdr(module: WindowsModule): void {
    module.ldrEntry = this.writeLdrEntry(module);
    this.relinkLdr();
  }

  private relinkLdr(): void {
    const offsets = OFFSETS[this.bits];
    const entries = this.modules.map((module) => module.ldrEntry);
    linkList(this.memory, this.bits, this.ldr + offsets.ldr.inLoadOrder, entries.map((entry) => entry + offsets.entry.inLoadOrder));
    linkList(this.memory, this.bits, this.ldr + offsets.ldr.inMemoryOrder, entries.map((entry) => entry + offsets.entry.inMemoryOrder));
    const rank = (module: WindowsModule): number => {
      const order = this.version === 'xp' ? ['ntdll.dll', 'kernel32.dll'] : ['ntdll.dll', 'kernelbase.dll', 'kernel32.dll'];
      const index = order.indexOf(module.name);
      return index >= 0 ? index : order.length;
    };
    const initialization = this.modules.slice(1).sort((a, b) => rank(a) - rank(b));
    linkList(
      this.memory,
      this.bits,
      this.ldr + offsets.ldr.inInitializationOrder,
      initialization.map((module) => module.ldrEntry + offsets.entry.inInitializationOrder),
    );
  }

  private writeLdrEntry(module: WindowsModule): number {
    const offsets = OFFSETS[this.bits].entry;
    const entry = this.arena.allocate(offsets.size);
    writePointer(this.memory, this.bits, entry + offsets.dllBase, module.base);
    writePointer(this.memory, this.bits, entry + offsets.entryPoint, module.entryPoint);
    this.memory.writeU32(entry + offsets.sizeOfImage, module.size);
    this.arena.unicodeString(this.bits, entry + offsets.fullDllName, module.path);
    this.arena.unicodeString(this.bits, entry + offsets.baseDllName, module.name);
    this.memory.writeU32(entry + offsets.flags, 0x000c4004);
    this.memory.writeU16(entry + offsets.loadCount, 0xffff);
    return entry;
  }

  private buildPeb(): void {
    const offsets = OFFSETS[this.bits].peb;
    const peb = this.layout.peb;
    this.memory.map(peb, 0x1000, Perm.RW, 'PEB');
    writePointer(this.memory, this.bits, peb + offsets.imageBase, this.layout.image);
    writePointer(this.memory, this.bits, peb + offsets.ldr, this.ldr);
    writePointer(this.memory, this.bits, peb + offsets.processParameters, this.layout.parameters);
    writePointer(this.memory, this.bits, peb + offsets.processHeap, this.layout.heap);
    this.memory.writeU32(peb + offsets.numberOfProcessors, 2);
    const [major, minor, build] = this.version === 'xp' ? [5, 1, 2600] : [6, 1, 7601];
    this.memory.writeU32(peb + offsets.osMajor, major!);
    this.memory.writeU32(peb + offsets.osMinor, minor!);
    this.memory.writeU16(peb + offsets.osBuild, build!);
    this.memory.writeU32(peb + offsets.osPlatformId, 2);
  }

  private buildTeb(): void {
    const offsets = OFFSETS[this.bits].teb;
    const teb = this.layout.teb;
    this.memory.map(teb, 0x2000, Perm.RW, 'TEB');
    writePointer(this.memory, this.bits, teb + offsets.stackBase, this.layout.stackTop);
    writePointer(this.memory, this.bits, teb + offsets.stackLimit, this.layout.stackLimit);
    writePointer(this.memory, this.bits, teb + offsets.self, teb);
    writePointer(this.memory, this.bits, teb + offsets.processId, this.processId);
    writePointer(this.memory, this.bits, teb + offsets.threadId, this.threadId);
    writePointer(this.memory, this.bits, teb + offsets.peb, this.layout.peb);
    this.cpu.setSegmentBase(this.bits === 64 ? 'gs' : 'fs', teb);
  }

  private buildSharedUserData(): void {
    this.memory.map(KUSER_SHARED_DATA, 0x1000, Perm.READ, 'KUSER_SHARED_DATA');
    this.memory.writeU32(KUSER_SHARED_DATA + 0x004, 0x0fa00000); // TickCountMultiplier
    this.memory.writeU32(KUSER_SHARED_DATA + 0x26c, this.version === 'xp' ? 5 : 6); // NtMajorVersion
    this.memory.writeU32(KUSER_SHARED_DATA + 0x270, 1); // NtMinorVersion
    const fastSystemCall = this.exportAddress('ntdll.dll', 'KiFastSystemCall');
    if (fastSystemCall !== undefined && this.bits === 32) this.memory.writeU32(KUSER_SHARED_DATA + 0x300, fastSystemCall);
  }

  /** The stack, with (x86) one SEH record at its top whose handler is the process's last resort. */
  private buildStack(): void {
    const layout = this.layout;
    this.memory.map(layout.stackLimit, layout.stackTop - layout.stackLimit, Perm.RW, 'stack');
    if (this.bits === 32) {
      const record = layout.stackTop - 0x20;
      this.memory.writeU32(record, 0xffffffff);
      this.memory.writeU32(record + 4, this.exportAddress('kernel32.dll', 'UnhandledExceptionFilter') ?? 0);
      this.memory.writeU32(layout.teb + OFFSETS[32].teb.exceptionList, record);
    }
  }
}

const ALIASES: Record<string, string> = { 'wsock32.dll': 'ws2_32.dll', 'msvcr71.dll': 'msvcrt.dll', 'crtdll.dll': 'msvcrt.dll' };

export function normaliseModuleName(name: string): string {
  const base = name.replace(/^.*[\\/]/, '').trim().toLowerCase();
  return base;
}
