/**
 * A minimal Windows 7 SP1 / Server 2008 R2 x64 kernel around a kernel-mode payload: ntoskrnl with
 * its real export names, hal, the SMB drivers (srvnet.sys, srv.sys with a Trans2 dispatch table in
 * its .data), a KPCR/KPRCB behind GS with an IDT whose handlers lie in ntoskrnl, IA32_LSTAR →
 * KiSystemCall64, the HAL heap, nonpaged pool, and a process list (System, smss.exe, csrss.exe,
 * lsass.exe, spoolsv.exe …) with threads, at Windows 7 SP1 offsets.
 *
 * The payload starts as a function called by the exploited driver (its return address is in
 * srvnet.sys). When it returns having replaced IA32_LSTAR, the next system call from user mode runs
 * its handler, as on a real machine; when execution gets back to KiSystemCall64 or to the driver, the
 * run ends. What it changed — a dispatch table slot, the syscall MSR — is recorded as behaviour.
 *
 * What outlives the run is an implant, whatever the payload: a loaded image's code patched, a pointer
 * in a loaded image's data redirected to code outside every image (pool, the HAL heap), a system
 * call handler left replaced, user-mode code queued into a process, a system thread or a
 * notification callback started on such code. Each is one `kernel.implant` event with its
 * `mechanism`; the images are compared with their state at boot, so a change the payload undoes
 * before it ends is none.
 */
import { CrashtestError } from '../../core/index.ts';
import { TraceRecorder, type ArgumentValue, type BehaviourKind } from '../behaviour/index.ts';
import { PERM_READ, PERM_RWX, PERM_WRITE, REG, type Cpu, type CpuEnvironment, type CpuFault, type PrivilegedInstruction } from '../cpu/index.ts';
import { HAL_EXPORTS, KERNEL_API, NTOSKRNL_DATA_EXPORTS, NTOSKRNL_EXPORTS, type KernelApiOutcome } from './kernel-api.ts';
import { buildKernelImage, SCN_CODE, SCN_DATA, SCN_RDATA, writeAscii } from './kernel-image.ts';
import { indexOfBytes, KernelMemory, latin1, toHex, utf16 } from './kernel-memory.ts';
import {
  addressBits,
  EPROCESS,
  ETHREAD,
  formatAddress,
  IA32_CSTAR,
  IA32_FMASK,
  IA32_GS_BASE,
  IA32_KERNEL_GS_BASE,
  IA32_LSTAR,
  IA32_STAR,
  IA32_SYSENTER_EIP,
  KAPC,
  KLDR,
  KPCR,
  KPRCB,
  KTHREAD,
  LAYOUT,
  MODULE_INFORMATION,
} from './kernel-structures.ts';

export interface WindowsKernelOptions {
  maxEvents?: number;
  /** the process a system call comes from when the payload hooked the syscall handler */
  syscallProcess?: string;
}

/** A hooked call's arguments (x64 convention). */
export class KernelCall {
  constructor(private readonly cpu: Cpu) {}

  /** argument `index` (0-based) as a 64-bit value */
  raw(index: number): bigint {
    if (index < 4) return this.cpu.getRegisterBig([REG.rcx, REG.rdx, REG.r8, REG.r9][index]!);
    const memory = new KernelMemory(this.cpu.memory);
    return memory.u64(this.cpu.stackPointer + 8 * (index + 1));
  }

  /** a pointer argument as the CPU's address number */
  address(index: number): number {
    return Number(BigInt.asIntN(64, this.raw(index)));
  }

  /** the low 32 bits of an integer argument */
  int(index: number): number {
    return Number(this.raw(index) & 0xffffffffn);
  }
}

interface LoadedModule {
  name: string;
  path: string;
  base: number;
  size: number;
  /** the executable section, absolute */
  code: { start: number; end: number };
}

/** How a kernel payload made itself outlive its run (the `mechanism` of a `kernel.implant` event). */
export type ImplantMechanism = 'dispatch_hook' | 'pointer_hook' | 'code_patch' | 'syscall_hook' | 'user_apc' | 'system_thread' | 'callback';

/** changed ranges of one image reported per run; more are counted in the last event */
const MAX_IMAGE_CHANGES = 16;
const PAGE = 0x1000;

/** srv.sys's SrvTransaction2DispatchTable: the Trans2 subcommands 0x00–0x11 */
const TRANS2_SUBCOMMANDS = [
  'TRANS2_OPEN2', 'TRANS2_FIND_FIRST2', 'TRANS2_FIND_NEXT2', 'TRANS2_QUERY_FS_INFORMATION', 'TRANS2_SET_FS_INFORMATION',
  'TRANS2_QUERY_PATH_INFORMATION', 'TRANS2_SET_PATH_INFORMATION', 'TRANS2_QUERY_FILE_INFORMATION', 'TRANS2_SET_FILE_INFORMATION',
  'TRANS2_FSCTL', 'TRANS2_IOCTL2', 'TRANS2_FIND_NOTIFY_FIRST', 'TRANS2_FIND_NOTIFY_NEXT', 'TRANS2_CREATE_DIRECTORY',
  'TRANS2_SESSION_SETUP', 'TRANS2_QUERY_FS_INFORMATION_FID', 'TRANS2_GET_DFS_REFERRAL', 'TRANS2_REPORT_DFS_INCONSISTENCY',
];

const PROCESSES: Array<[string, number]> = [
  ['System', 4], ['smss.exe', 264], ['csrss.exe', 348], ['wininit.exe', 400], ['csrss.exe', 408], ['services.exe', 496],
  ['lsass.exe', 504], ['lsm.exe', 512], ['svchost.exe', 620], ['spoolsv.exe', 1140], ['explorer.exe', 1524],
];

const NTOSKRNL_SIZE = 0x60000;
const NTOSKRNL_TEXT = 0x1000;
const NTOSKRNL_KI_SYSTEM_CALL = 0x2f000;
const NTOSKRNL_ISRS = 0x30000;
const NTOSKRNL_RDATA = 0x40000;
const NTOSKRNL_DATA = 0x50000;
const STUB = 16;

export class WindowsKernel {
  readonly trace: TraceRecorder;
  readonly memory: KernelMemory;
  private readonly exports = new Map<string, number>();
  private readonly hooks = new Map<number, string>();
  private readonly msrs = new Map<number, bigint>();
  private readonly modules: LoadedModule[] = [];
  private readonly processes: Array<{ name: string; pid: number; process: number; thread: number }> = [];
  private poolNext: number = LAYOUT.nonPagedPool;
  private userNext: number = LAYOUT.userAllocations;
  private codeNext: number = LAYOUT.nonPagedPool + LAYOUT.nonPagedPoolSize;
  private attached: number[] = [];
  private syscallEntered = false;
  private readonly recordedImplants = new Set<string>();
  private dispatchTable = { address: 0, original: [] as number[] };
  /** each loaded image as it was at boot, for what the payload changed in it */
  private bootImages: Uint8Array[] = [];
  private readonly kiSystemCall64: number;
  private readonly driverReturn: number;
  private readonly system: { process: number; thread: number };
  private input: { base: number; bytes: Uint8Array } | null = null;
  currentThread: number;

  constructor(
    readonly cpu: Cpu,
    private readonly options: WindowsKernelOptions = {},
  ) {
    if (cpu.mode !== 64) throw new Error(`the Windows kernel environment is x64 only; the CPU is in ${cpu.mode}-bit mode`);
    this.memory = new KernelMemory(cpu.memory);
    this.trace = new TraceRecorder(() => cpu.instructionCount, options.maxEvents ?? 10_000);
    this.kiSystemCall64 = LAYOUT.ntoskrnl + NTOSKRNL_KI_SYSTEM_CALL;
    this.map(LAYOUT.nonPagedPool, 0x10000, PERM_RWX);
    this.loadNtoskrnl();
    this.driverReturn = this.loadDrivers();
    this.buildProcessorBlock();
    this.system = this.buildProcesses();
    this.currentThread = this.system.thread;
    this.writeCurrentThread(this.system.thread);
    this.buildModuleList();
    this.msrs.set(IA32_LSTAR, addressBits(this.kiSystemCall64));
    this.msrs.set(IA32_CSTAR, addressBits(this.kiSystemCall64 - 0x40));
    this.msrs.set(IA32_STAR, 0x0023001000000000n);
    this.msrs.set(IA32_FMASK, 0x4700n);
    this.msrs.set(IA32_SYSENTER_EIP, 0n);
    this.msrs.set(IA32_KERNEL_GS_BASE, BigInt(LAYOUT.userTeb));
    this.map(LAYOUT.halHeap, LAYOUT.halHeapSize, PERM_RWX);
    this.map(LAYOUT.sharedUserData, 0x1000, PERM_READ);
    this.memory.setU32(LAYOUT.sharedUserData + 0x26c, 6);
    this.memory.setU32(LAYOUT.sharedUserData + 0x270, 1);
    this.map(LAYOUT.kernelStackTop - LAYOUT.kernelStackSize, LAYOUT.kernelStackSize, PERM_READ | PERM_WRITE);
    this.bootImages = this.modules.map((module) => this.memory.bytes(module.base, module.size) ?? new Uint8Array(0));
  }

  /** The callbacks the CPU needs; `extra` adds the profile's notices. */
  environment(extra: Pick<CpuEnvironment, 'onFirstExecuteOfWritten'> = {}): CpuEnvironment {
    return {
      onHook: (_cpu, address) => this.handleHook(address),
      onPrivileged: (_cpu, instruction) => this.handlePrivileged(instruction),
      onException: (_cpu, fault) => this.handleException(fault),
      ...extra,
    };
  }

  /** Places the payload in nonpaged pool (RWX, as the exploited buffers are); returns its address. */
  loadCode(bytes: Uint8Array): number {
    const base = this.codeNext;
    this.map(base, Math.max(bytes.length, 1) + 0x1000, PERM_RWX);
    this.memory.writeBytes(base, bytes);
    this.codeNext = base + Math.ceil((bytes.length + 0x2000) / 0x1000) * 0x1000;
    this.input = { base, bytes };
    return base;
  }

  /** Kernel payloads run from pool, never from a stack: same as loadCode. */
  loadCodeOnStack(bytes: Uint8Array): number {
    return this.loadCode(bytes);
  }

  /** Kernel thread context: GS → KPCR, a kernel stack, return address into srvnet.sys. */
  prepareThread(entry: number): void {
    const cpu = this.cpu;
    cpu.gsBase = LAYOUT.kpcr;
    cpu.setRegister(REG.rsp, LAYOUT.kernelStackTop - 0x800);
    cpu.pushAddress(this.driverReturn);
    cpu.ip = entry;
  }

  // ---- memory and objects ----------------------------------------------------------------------

  /** The kernel's own layout: not fitting the CPU's memory limit is a broken environment. */
  private map(address: number, size: number, perm: number): void {
    if (!this.cpu.memory.map(address, size, perm)) {
      throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `the emulated kernel needs ${size} bytes at ${formatAddress(address)}, past the CPU's memory limit`, { address: formatAddress(address), size });
    }
  }

  /** Nonpaged pool, bump-allocated; 0 (as ExAllocatePool fails) past the pool or the memory limit. */
  allocatePool(size: number): number {
    const address = this.poolNext + 0x10; // after a POOL_HEADER
    const end = address + Math.max(size, 1);
    if (size < 0 || end > LAYOUT.nonPagedPool + LAYOUT.nonPagedPoolSize) return 0;
    if (!this.cpu.memory.map(this.poolNext, end - this.poolNext, PERM_RWX)) return 0;
    this.poolNext = Math.ceil(end / 0x10) * 0x10;
    return address;
  }

  /** User-mode memory of the attached process (one address space here); 0 past the memory limit. */
  allocateUser(size: number): number {
    const address = this.userNext;
    if (size <= 0 || size > 64 << 20 || !this.cpu.memory.map(address, size, PERM_RWX)) return 0;
    this.userNext += Math.ceil(size / 0x10000 + 1) * 0x10000;
    return address;
  }

  get currentProcess(): number {
    return this.attached.at(-1) ?? this.memory.pointer(this.currentThread + KTHREAD.Process);
  }

  attach(process: number): void {
    this.attached.push(process);
    this.memory.setU64(this.currentThread + KTHREAD.ApcStateProcess, process);
  }

  detach(): void {
    this.attached.pop();
    this.memory.setU64(this.currentThread + KTHREAD.ApcStateProcess, this.currentProcess);
  }

  processById(pid: number): number | undefined {
    return this.processes.find((entry) => entry.pid === pid)?.process;
  }

  threadById(tid: number): number | undefined {
    return this.processes.find((entry) => entry.pid + 4 === tid)?.thread;
  }

  isSystemThread(thread: number): boolean {
    return this.memory.pointer(thread + KTHREAD.Process) === this.system.process;
  }

  exportAddress(name: string): number | undefined {
    return this.exports.get(name);
  }

  // ---- images ----------------------------------------------------------------------------------

  private loadNtoskrnl(): void {
    const base = LAYOUT.ntoskrnl;
    const rvas = new Map<string, number>();
    const data = new Set(NTOSKRNL_DATA_EXPORTS);
    let stub = NTOSKRNL_TEXT;
    let variable = NTOSKRNL_DATA + 0x800;
    for (const name of NTOSKRNL_EXPORTS) {
      if (data.has(name)) {
        rvas.set(name, variable);
        variable += 0x10;
      } else {
        rvas.set(name, stub);
        stub += STUB;
      }
    }
    const image = buildKernelImage({
      name: 'ntoskrnl.exe',
      sizeOfImage: NTOSKRNL_SIZE,
      sections: [
        { name: '.text', rva: NTOSKRNL_TEXT, size: NTOSKRNL_RDATA - NTOSKRNL_TEXT, characteristics: SCN_CODE },
        { name: '.rdata', rva: NTOSKRNL_RDATA, size: NTOSKRNL_DATA - NTOSKRNL_RDATA, characteristics: SCN_RDATA },
        { name: '.data', rva: NTOSKRNL_DATA, size: NTOSKRNL_SIZE - NTOSKRNL_DATA, characteristics: SCN_DATA },
      ],
      exports: rvas,
      exportDirectoryRva: NTOSKRNL_RDATA,
    });
    for (const [name, rva] of rvas) if (!data.has(name)) image[rva] = 0xc3;
    this.map(base, NTOSKRNL_SIZE, PERM_RWX);
    this.memory.writeBytes(base, image);
    this.registerModule('ntoskrnl.exe', '\\SystemRoot\\system32\\ntoskrnl.exe', base, NTOSKRNL_SIZE, { start: base + NTOSKRNL_TEXT, end: base + NTOSKRNL_RDATA });
    for (const [name, rva] of rvas) {
      this.exports.set(name, base + rva);
      if (!data.has(name)) this.addHook(base + rva, `ntoskrnl.${name}`);
    }
    this.addHook(this.kiSystemCall64, 'ntoskrnl.KiSystemCall64');
    const variables = (name: string): number => this.exports.get(name)!;
    this.memory.setU32(variables('NtBuildNumber'), 0xf0001db1); // 7601, free build
    this.memory.setU32(variables('KeNumberProcessors'), 1);
    this.memory.setU64(variables('MmHighestUserAddress'), 0x7fffffeffffn);
    this.memory.setU64(variables('MmUserProbeAddress'), 0x7ffffff0000n);
    this.memory.setU64(variables('MmSystemRangeStart'), 0xffff080000000000n);
    this.memory.setU8(variables('KdDebuggerNotPresent'), 1);
    this.loadImage('hal.dll', '\\SystemRoot\\system32\\hal.dll', LAYOUT.hal, 0x4000, HAL_EXPORTS, null);
  }

  /** A small driver image: .text with exported stubs, .data; returns the base. */
  private loadImage(name: string, path: string, base: number, size: number, exportNames: readonly string[], data: { rva: number; size: number } | null): number {
    const rvas = new Map<string, number>();
    exportNames.forEach((exportName, index) => rvas.set(exportName, 0x1000 + index * STUB));
    const dataRva = data?.rva ?? size - 0x1000;
    const sections = [
      { name: '.text', rva: 0x1000, size: dataRva - 0x2000, characteristics: SCN_CODE },
      { name: '.rdata', rva: dataRva - 0x1000, size: 0x1000, characteristics: SCN_RDATA },
      { name: '.data', rva: dataRva, size: data?.size ?? 0x1000, characteristics: SCN_DATA },
    ];
    const image = buildKernelImage({ name, sizeOfImage: size, sections, exports: rvas, exportDirectoryRva: dataRva - 0x1000 });
    for (const rva of rvas.values()) image[rva] = 0xc3;
    this.map(base, size, PERM_RWX);
    this.memory.writeBytes(base, image);
    this.registerModule(name, path, base, size, { start: base + 0x1000, end: base + dataRva - 0x1000 });
    for (const [exportName, rva] of rvas) this.addHook(base + rva, `${name.replace(/\.\w+$/, '')}.${exportName}`);
    return base;
  }

  /**
   * srvnet.sys (the exploited driver: the payload returns into it), srv.sys with the Trans2
   * dispatch table in .data, srv2.sys and a few more so module lists look like a real system.
   * Returns the return address in srvnet.sys.
   */
  private loadDrivers(): number {
    let next = LAYOUT.drivers;
    const place = (size: number): number => {
      const base = next;
      next += size + 0x10000;
      return base;
    };
    for (const name of ['CLFS.SYS', 'CI.dll', 'Wdf01000.sys', 'ndis.sys', 'NETIO.SYS', 'tcpip.sys', 'afd.sys']) {
      this.loadImage(name, `\\SystemRoot\\system32\\${name.endsWith('.dll') ? '' : 'DRIVERS\\'}${name}`, place(0x4000), 0x4000, [], null);
    }
    const srvnet = this.loadImage('srvnet.sys', '\\SystemRoot\\System32\\DRIVERS\\srvnet.sys', place(0x8000), 0x8000, [], null);
    const driverReturn = srvnet + 0x2345;
    this.addHook(driverReturn, 'srvnet.return');
    this.loadImage('srv2.sys', '\\SystemRoot\\System32\\DRIVERS\\srv2.sys', place(0x8000), 0x8000, [], null);
    const srvSize = 0x20000;
    const srvData = { rva: 0x18000, size: 0x4000 };
    const srv = this.loadImage('srv.sys', '\\SystemRoot\\system32\\DRIVERS\\srv.sys', place(srvSize), srvSize, [], srvData);
    // The table sits in .data after a 0xfe-filled guard qword, with a NULL after its last slot:
    // installers of the DOUBLEPULSAR family find it by exactly that shape.
    const table = srv + srvData.rva + 0x1800;
    this.memory.setU64(table - 8, 0xfefefefefefefefen);
    const original: number[] = [];
    TRANS2_SUBCOMMANDS.forEach((_name, slot) => {
      const handler = srv + 0x1000 + 0x400 + slot * 0x80;
      this.memory.setU8(handler, 0xc3);
      this.memory.setU64(table + slot * 8, handler);
      original.push(handler);
    });
    this.memory.setU64(table + TRANS2_SUBCOMMANDS.length * 8, 0n);
    this.dispatchTable = { address: table, original };
    return driverReturn;
  }

  private registerModule(name: string, path: string, base: number, size: number, code: LoadedModule['code']): void {
    this.modules.push({ name, path, base, size, code });
  }

  /** the loaded image `address` lies in */
  moduleAt(address: number): LoadedModule | undefined {
    return this.modules.find((module) => address >= module.base && address < module.base + module.size);
  }

  /** Mapped code that belongs to no loaded image: what a payload brought (pool, HAL heap, user memory). */
  isForeignCode(address: number): boolean {
    return address !== 0 && this.moduleAt(address) === undefined && this.memory.mapped(address);
  }

  private addHook(address: number, name: string): void {
    this.hooks.set(address, name);
    this.cpu.addHook(address);
  }

  /** RTL_PROCESS_MODULES as ZwQuerySystemInformation(SystemModuleInformation) returns it. */
  moduleInformation(): Uint8Array {
    const out = new Uint8Array(8 + this.modules.length * MODULE_INFORMATION.Length);
    const view = new DataView(out.buffer);
    view.setUint32(0, this.modules.length, true);
    this.modules.forEach((module, index) => {
      const entry = 8 + index * MODULE_INFORMATION.Length;
      view.setBigUint64(entry + MODULE_INFORMATION.ImageBase, addressBits(module.base), true);
      view.setUint32(entry + MODULE_INFORMATION.ImageSize, module.size, true);
      view.setUint16(entry + MODULE_INFORMATION.LoadOrderIndex, index, true);
      view.setUint16(entry + MODULE_INFORMATION.OffsetToFileName, module.path.length - module.name.length, true);
      writeAscii(out, entry + MODULE_INFORMATION.FullPathName, module.path);
    });
    return out;
  }

  /** PsLoadedModuleList: KLDR_DATA_TABLE_ENTRY records in load order, in pool. */
  private buildModuleList(): void {
    const head = this.exports.get('PsLoadedModuleList')!;
    const entries = this.modules.map((module) => {
      const entry = this.allocatePool(KLDR.Length + 2 * (module.path.length + module.name.length + 2));
      const fullName = entry + KLDR.Length;
      const baseName = fullName + 2 * (module.path.length + 1);
      this.memory.writeBytes(fullName, utf16(`${module.path}\0`));
      this.memory.writeBytes(baseName, utf16(`${module.name}\0`));
      this.memory.setU64(entry + KLDR.DllBase, module.base);
      this.memory.setU32(entry + KLDR.SizeOfImage, module.size);
      this.writeUnicodeString(entry + KLDR.FullDllName, fullName, module.path.length);
      this.writeUnicodeString(entry + KLDR.BaseDllName, baseName, module.name.length);
      return entry + KLDR.InLoadOrderLinks;
    });
    this.link(head, entries);
  }

  private writeUnicodeString(at: number, buffer: number, characters: number): void {
    this.memory.setU16(at, characters * 2);
    this.memory.setU16(at + 2, characters * 2 + 2);
    this.memory.setU64(at + 8, buffer);
  }

  /** A circular doubly linked LIST_ENTRY list from `head` through `links`. */
  private link(head: number, links: number[]): void {
    const all = [head, ...links];
    all.forEach((entry, index) => {
      this.memory.setU64(entry, all[(index + 1) % all.length]!);
      this.memory.setU64(entry + 8, all[(index + all.length - 1) % all.length]!);
    });
  }

  private buildProcessorBlock(): void {
    const kpcr = LAYOUT.kpcr;
    this.map(kpcr, 0x4000, PERM_READ | PERM_WRITE);
    this.map(LAYOUT.gdt, 0x1000, PERM_READ | PERM_WRITE);
    this.map(LAYOUT.tss, 0x1000, PERM_READ | PERM_WRITE);
    this.map(LAYOUT.idt, 0x1000, PERM_READ | PERM_WRITE);
    this.memory.setU64(kpcr + KPCR.GdtBase, LAYOUT.gdt);
    this.memory.setU64(kpcr + KPCR.TssBase, LAYOUT.tss);
    this.memory.setU64(kpcr + KPCR.Self, kpcr);
    this.memory.setU64(kpcr + KPCR.CurrentPrcb, kpcr + KPCR.Prcb);
    this.memory.setU64(kpcr + KPCR.IdtBase, LAYOUT.idt);
    this.memory.setU8(kpcr + KPCR.Irql, 2); // DISPATCH_LEVEL: the payload runs from a completion routine
    this.memory.setU16(kpcr + KPCR.MajorVersion, 1);
    this.memory.setU16(kpcr + KPCR.MinorVersion, 1);
    this.memory.setU64(kpcr + KPCR.Prcb + KPRCB.RspBase, LAYOUT.kernelStackTop);
    // IDT: 256 interrupt gates (type 0x8e) to handlers in ntoskrnl's .text (KiDivideErrorFault …)
    for (let vector = 0; vector < 256; vector++) {
      const handler = addressBits(LAYOUT.ntoskrnl + NTOSKRNL_ISRS + vector * STUB);
      const gate = LAYOUT.idt + vector * 16;
      this.memory.setU16(gate, Number(handler & 0xffffn));
      this.memory.setU16(gate + 2, 0x10);
      this.memory.setU8(gate + 4, 0);
      this.memory.setU8(gate + 5, 0x8e);
      this.memory.setU16(gate + 6, Number((handler >> 16n) & 0xffffn));
      this.memory.setU32(gate + 8, Number(handler >> 32n));
    }
  }

  private writeCurrentThread(thread: number): void {
    this.currentThread = thread;
    this.memory.setU64(LAYOUT.kpcr + KPCR.Prcb + KPRCB.CurrentThread, thread);
  }

  /** EPROCESS / ETHREAD pairs on ActiveProcessLinks, each thread on its process's lists. */
  private buildProcesses(): { process: number; thread: number } {
    const links: number[] = [];
    for (const [name, pid] of PROCESSES) {
      const process = this.allocatePool(EPROCESS.Size);
      const thread = this.allocatePool(ETHREAD.Size);
      this.memory.setU8(process, 3); // ProcessObject
      this.memory.setU8(thread, 6); // ThreadObject
      this.memory.setU64(process + EPROCESS.DirectoryTableBase, 0x187000n + BigInt(pid) * 0x1000n);
      this.memory.setU64(process + EPROCESS.UniqueProcessId, BigInt(pid));
      this.memory.writeBytes(process + EPROCESS.ImageFileName, latin1(`${name.slice(0, 14)}\0`));
      this.memory.setU64(process + EPROCESS.Token, this.allocatePool(0x100) | 0x7);
      this.memory.setU32(process + EPROCESS.ActiveThreads, 1);
      if (pid !== 4) this.memory.setU64(process + EPROCESS.Peb, 0x7fffffdf000n - BigInt(pid) * 0x1000n);
      this.memory.setU64(thread + KTHREAD.Process, process);
      this.memory.setU64(thread + KTHREAD.ApcStateProcess, process);
      this.memory.setU8(thread + KTHREAD.Alertable, pid === 4 ? 0 : 0x10);
      this.memory.setU64(thread + KTHREAD.InitialStack, LAYOUT.kernelStackTop);
      this.memory.setU64(thread + KTHREAD.StackLimit, LAYOUT.kernelStackTop - LAYOUT.kernelStackSize);
      if (pid !== 4) this.memory.setU64(thread + KTHREAD.Teb, 0x7fffffde000n - BigInt(pid) * 0x2000n);
      this.memory.setU64(thread + ETHREAD.UniqueProcess, BigInt(pid));
      this.memory.setU64(thread + ETHREAD.UniqueThread, BigInt(pid + 4));
      this.link(process + EPROCESS.KThreadListHead, [thread + KTHREAD.ThreadListEntry]);
      this.link(process + EPROCESS.ThreadListHead, [thread + ETHREAD.ThreadListEntry]);
      links.push(process + EPROCESS.ActiveProcessLinks);
      this.processes.push({ name, pid, process, thread });
    }
    this.link(links[0]!, links.slice(1)); // System's links are the list head's neighbours, as PsActiveProcessHead's are
    const system = this.processes[0]!;
    this.memory.setU64(this.exports.get('PsInitialSystemProcess')!, system.process);
    return system;
  }

  // ---- the CPU's callbacks ---------------------------------------------------------------------

  handleHook(address: number): void {
    const name = this.hooks.get(address);
    if (name === undefined) return;
    if (name === 'ntoskrnl.KiSystemCall64') return this.systemCallContinues();
    if (name === 'srvnet.return') return this.payloadReturned();
    const [, exportName] = name.split('.') as [string, string];
    const call = new KernelCall(this.cpu);
    const handler = KERNEL_API[exportName];
    const outcome: KernelApiOutcome = handler ? handler(this, call) : { value: 0 };
    const caller = this.memory.pointer(this.cpu.stackPointer);
    const args: Record<string, ArgumentValue> = outcome.args ?? { rcx: `0x${call.raw(0).toString(16)}`, rdx: `0x${call.raw(1).toString(16)}`, r8: `0x${call.raw(2).toString(16)}`, r9: `0x${call.raw(3).toString(16)}` };
    this.record(name, outcome.kind ?? 'other', args, outcome.summary ?? exportName, caller);
    this.cpu.setRegisterBig(REG.rax, typeof outcome.value === 'bigint' ? BigInt.asUintN(64, outcome.value) : addressBits(outcome.value));
    this.cpu.ip = this.cpu.popAddress();
  }

  handlePrivileged(instruction: PrivilegedInstruction): boolean {
    const cpu = this.cpu;
    if (instruction === 'cli' || instruction === 'sti') return true;
    if (instruction === 'swapgs') {
      const kernelBase = this.msrs.get(IA32_KERNEL_GS_BASE) ?? 0n;
      this.msrs.set(IA32_KERNEL_GS_BASE, addressBits(cpu.gsBase));
      cpu.gsBase = Number(BigInt.asIntN(64, kernelBase));
      return true;
    }
    const index = cpu.lo[REG.rcx]!;
    if (instruction === 'rdmsr') {
      const value = index === IA32_GS_BASE ? addressBits(cpu.gsBase) : this.msrs.get(index);
      if (value === undefined) return false;
      cpu.setRegister(REG.rax, Number(value & 0xffffffffn));
      cpu.setRegister(REG.rdx, Number(value >> 32n));
      return true;
    }
    const value = (BigInt(cpu.lo[REG.rdx]!) << 32n) | BigInt(cpu.lo[REG.rax]!);
    if (index === IA32_GS_BASE) cpu.gsBase = Number(BigInt.asIntN(64, value));
    else if (!this.msrs.has(index)) return false;
    if (index === IA32_LSTAR) this.lstarWritten(value);
    this.msrs.set(index, value);
    return true;
  }

  private lstarWritten(value: bigint): void {
    const restored = value === addressBits(this.kiSystemCall64);
    const handler = formatAddress(Number(BigInt.asIntN(64, value)));
    this.record(
      'cpu.wrmsr',
      'other',
      { msr: 'IA32_LSTAR', value: handler, restored, ...this.inputOffset(Number(BigInt.asIntN(64, value))) },
      restored ? 'system call handler (IA32_LSTAR) restored to KiSystemCall64' : `system call handler (IA32_LSTAR) replaced with ${handler}`,
    );
  }

  /** A fault in the payload ends the run (on a real machine, a bug check); what it changed before stays recorded. */
  handleException(_fault: CpuFault): boolean {
    this.inspectImplants();
    return false;
  }

  /** The payload returned to the exploited driver: the next system call runs a replaced handler. */
  private payloadReturned(): void {
    const lstar = Number(BigInt.asIntN(64, this.msrs.get(IA32_LSTAR)!));
    if (lstar === this.kiSystemCall64 || this.syscallEntered) {
      this.inspectImplants();
      this.cpu.stop('exit', 'the payload returned to srvnet.sys');
      return;
    }
    // a user-mode thread makes a system call: GS swaps on the handler's swapgs
    this.syscallEntered = true;
    const from = this.processes.find((entry) => entry.name === (this.options.syscallProcess ?? 'lsass.exe')) ?? this.processes[1]!;
    this.writeCurrentThread(from.thread);
    const cpu = this.cpu;
    this.map(LAYOUT.userStackTop - 0x4000, 0x4000, PERM_READ | PERM_WRITE);
    this.map(LAYOUT.userTeb, 0x2000, PERM_READ | PERM_WRITE);
    this.msrs.set(IA32_KERNEL_GS_BASE, addressBits(LAYOUT.kpcr));
    cpu.gsBase = LAYOUT.userTeb;
    cpu.setRegister(REG.rsp, LAYOUT.userStackTop - 0x100);
    cpu.setRegister(REG.rcx, LAYOUT.userReturn);
    cpu.setRegister(REG.r11, 0x246);
    cpu.setRegister(REG.rax, 0x01); // NtWaitForSingleObject
    this.record('kernel.syscall', 'other', { process: from.name, handler: formatAddress(lstar) }, `system call from ${from.name} enters ${formatAddress(lstar)}`);
    cpu.ip = lstar;
  }

  private systemCallContinues(): void {
    this.inspectImplants();
    this.record('ntoskrnl.KiSystemCall64', 'other', { gs: formatAddress(this.cpu.gsBase) }, 'the system call continues in KiSystemCall64');
    this.cpu.stop('exit', 'control back in KiSystemCall64');
  }

  // ---- what the payload left behind -------------------------------------------------------------

  /**
   * Records what the payload left changed, each change once: call at the end of a run (idempotent).
   * srv.sys's Trans2 table is named slot by slot; any other image change is found by comparison
   * with the boot image.
   */
  inspectImplants(): void {
    this.inspectDispatchTable();
    this.inspectImages();
    const lstar = Number(BigInt.asIntN(64, this.msrs.get(IA32_LSTAR) ?? 0n));
    if (lstar !== this.kiSystemCall64) {
      this.recordImplant('syscall_hook', `lstar.${lstar}`, { msr: 'IA32_LSTAR', handler: formatAddress(lstar), ...this.inputOffset(lstar) }, `system call handler left replaced with ${formatAddress(lstar)} (implant installed)`);
    }
  }

  /**
   * One `kernel.implant` event per distinct `key`: the payload's way of outliving its run. Also
   * for the API handlers (a user-mode APC, a system thread, a callback on foreign code).
   */
  recordImplant(mechanism: ImplantMechanism, key: string, args: Record<string, ArgumentValue>, summary: string): void {
    if (this.recordedImplants.has(key)) return;
    this.recordedImplants.add(key);
    this.record('kernel.implant', 'process', { mechanism, ...args }, summary);
  }

  private inspectDispatchTable(): void {
    const { address, original } = this.dispatchTable;
    original.forEach((handler, slot) => {
      const current = this.memory.pointer(address + slot * 8);
      const key = `srv.${slot}.${current}`;
      if (current === handler) return;
      const args: Record<string, ArgumentValue> = {
        module: 'srv.sys',
        table: 'SrvTransaction2DispatchTable',
        slot,
        subcommand: TRANS2_SUBCOMMANDS[slot]!,
        original: formatAddress(handler),
        hook: formatAddress(current),
        hookInPool: current >= LAYOUT.nonPagedPool && current < LAYOUT.nonPagedPool + LAYOUT.nonPagedPoolSize,
        ...this.inputOffset(current),
      };
      const code = this.memory.bytes(current, 16);
      if (code) args.hookBytes = toHex(code);
      this.recordImplant('dispatch_hook', key, args, 'kernel dispatch table hooked (implant installed)');
    });
  }

  /**
   * Every loaded image against its boot copy, a qword at a time: a change in the code section is a
   * patch; a change in data is a hook when the new value points at code outside every image (a
   * counter or a flag the payload set is not). srv.sys's Trans2 table is inspectDispatchTable's.
   */
  private inspectImages(): void {
    const table = { start: this.dispatchTable.address, end: this.dispatchTable.address + this.dispatchTable.original.length * 8 };
    this.modules.forEach((module, index) => {
      const boot = this.bootImages[index];
      const now = this.memory.bytes(module.base, module.size);
      if (!boot || !now || boot.length !== now.length || Buffer.compare(boot, now) === 0) return;
      let reported = 0;
      for (let offset = 0; offset + 8 <= now.length && reported < MAX_IMAGE_CHANGES; offset += 8) {
        // whole unchanged pages are skipped natively
        if (offset % PAGE === 0 && Buffer.compare(boot.subarray(offset, offset + PAGE), now.subarray(offset, offset + PAGE)) === 0) {
          offset += PAGE - 8;
          continue;
        }
        if (sameQword(boot, now, offset)) continue;
        const address = module.base + offset;
        if (address >= table.start && address < table.end) continue;
        if (address >= module.code.start && address < module.code.end) {
          let end = offset + 8;
          while (end + 8 <= now.length && module.base + end < module.code.end && !sameQword(boot, now, end)) end += 8;
          const patched = now.subarray(offset, Math.min(end, offset + 32));
          this.recordImplant('code_patch', `code.${address}`, { module: module.name, section: 'code', offset: `0x${offset.toString(16)}`, length: end - offset, bytes: toHex(patched), ...this.inputOffset(address) }, `${module.name} code patched at +0x${offset.toString(16)} (implant installed)`);
          reported++;
          offset = end - 8;
          continue;
        }
        const target = Number(new DataView(now.buffer, now.byteOffset + offset, 8).getBigInt64(0, true));
        if (!this.isForeignCode(target)) continue;
        this.recordImplant('pointer_hook', `pointer.${address}.${target}`, { module: module.name, section: 'data', offset: `0x${offset.toString(16)}`, hook: formatAddress(target), ...this.inputOffset(target) }, `${module.name} pointer at +0x${offset.toString(16)} redirected to ${formatAddress(target)} (implant installed)`);
        reported++;
      }
    });
  }

  /** Where code at `address` came from in the input: copied (found by content) or run in place. */
  private inputOffset(address: number): Record<string, number> {
    if (!this.input) return {};
    const { base, bytes } = this.input;
    if (address >= base && address < base + bytes.length) return { inputOffset: address - base };
    const code = this.memory.bytes(address, 32);
    if (!code) return {};
    const at = indexOfBytes(bytes, code);
    return at >= 0 ? { copiedFromInputOffset: at } : {};
  }

  /** KeInsertQueueApc: a user-mode APC into a process is how the implant's payloads reach user mode. */
  queueApc(apc: number, argument1: number, argument2: number): KernelApiOutcome {
    const thread = this.memory.pointer(apc + KAPC.Thread);
    const routine = this.memory.pointer(apc + KAPC.NormalRoutine);
    const userMode = (this.memory.u8(apc + KAPC.ApcMode) & 1) === 1;
    const process = this.memory.mapped(thread + KTHREAD.Process, 8) ? this.memory.pointer(thread + KTHREAD.Process) : 0;
    const target = process !== 0 && this.memory.mapped(process + EPROCESS.ImageFileName, 15) ? this.memory.cString(process + EPROCESS.ImageFileName, 15) : formatAddress(thread);
    const args: Record<string, ArgumentValue> = {
      process: target,
      routine: formatAddress(routine),
      mode: userMode ? 'UserMode' : 'KernelMode',
      argument1: formatAddress(argument1),
      argument2: formatAddress(argument2),
      ...this.inputOffset(routine),
    };
    const code = this.memory.bytes(routine, 16);
    if (code) args.routineBytes = toHex(code);
    const summary = userMode ? `user-mode payload queued into ${target}` : `kernel APC queued to a thread of ${target}`;
    if (userMode && routine !== 0) this.recordImplant('user_apc', `apc.${thread}.${routine}`, { process: target, routine: formatAddress(routine), ...this.inputOffset(routine) }, `user-mode code queued into ${target} (implant installed)`);
    return { value: 1, kind: userMode ? 'process' : 'thread', args, summary };
  }

  private record(api: string, kind: BehaviourKind, args: Record<string, ArgumentValue>, summary: string, caller?: number): void {
    const event = { api, kind, args, summary, ...(caller !== undefined ? { caller } : {}) };
    this.trace.record(event);
  }
}

function sameQword(a: Uint8Array, b: Uint8Array, offset: number): boolean {
  for (let index = offset; index < offset + 8; index++) if (a[index] !== b[index]) return false;
  return true;
}
