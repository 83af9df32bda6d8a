/**
 * Windows 7 SP1 / Server 2008 R2 x64 kernel structure offsets (public symbol dumps of
 * ntoskrnl 6.1.7601) and where the emulated kernel puts things. Kernel payloads read these fields
 * at hard-coded offsets, so they must be the real ones.
 *
 * Kernel addresses are canonical upper-half addresses, which the CPU and memory carry as the
 * negative number they are as signed 64-bit values (cpu/memory.ts): `kernelAddress(0xfffff800…n)`.
 */

/** A canonical upper-half address as the CPU's signed number. */
export function kernelAddress(value: bigint): number {
  return Number(BigInt.asIntN(64, value));
}

/** The 64-bit value of an address number (negative numbers are upper-half addresses). */
export function addressBits(address: number): bigint {
  return BigInt.asUintN(64, BigInt(address));
}

export function formatAddress(address: number): string {
  return `0x${addressBits(address).toString(16)}`;
}

export const KPCR = {
  GdtBase: 0x00,
  TssBase: 0x08,
  UserRsp: 0x10,
  Self: 0x18,
  CurrentPrcb: 0x20,
  IdtBase: 0x38,
  Irql: 0x50,
  MajorVersion: 0x64,
  MinorVersion: 0x66,
  Prcb: 0x180,
} as const;

/** offsets inside the KPRCB (KPCR + 0x180); gs:[0x188] is the current thread */
export const KPRCB = { CurrentThread: 0x08, NextThread: 0x10, IdleThread: 0x18, RspBase: 0x28 } as const;

export const KTHREAD = {
  InitialStack: 0x28,
  StackLimit: 0x30,
  KernelStack: 0x38,
  /** KAPC_STATE: ApcListHead[2], then Process at +0x20 */
  ApcState: 0x50,
  ApcStateProcess: 0x70,
  Teb: 0xb8,
  Alertable: 0x4c,
  ApcQueueable: 0x74,
  Process: 0x210,
  ThreadListEntry: 0x2f8,
  PreviousMode: 0x1f6,
} as const;

export const ETHREAD = { Cid: 0x3b0, UniqueProcess: 0x3b0, UniqueThread: 0x3b8, ThreadListEntry: 0x428, Size: 0x4a8 } as const;

export const EPROCESS = {
  DirectoryTableBase: 0x28,
  KThreadListHead: 0x30,
  UniqueProcessId: 0x180,
  ActiveProcessLinks: 0x188,
  Token: 0x208,
  ImageFileName: 0x2e0,
  ThreadListHead: 0x308,
  ActiveThreads: 0x328,
  Peb: 0x338,
  Size: 0x4d0,
} as const;

/** KAPC (x64) */
export const KAPC = {
  Type: 0x00,
  Size: 0x02,
  Thread: 0x08,
  KernelRoutine: 0x20,
  RundownRoutine: 0x28,
  NormalRoutine: 0x30,
  NormalContext: 0x38,
  SystemArgument1: 0x40,
  SystemArgument2: 0x48,
  ApcStateIndex: 0x50,
  ApcMode: 0x51,
  Inserted: 0x52,
  Length: 0x58,
} as const;

/** KLDR_DATA_TABLE_ENTRY (PsLoadedModuleList) */
export const KLDR = { InLoadOrderLinks: 0x00, DllBase: 0x30, EntryPoint: 0x38, SizeOfImage: 0x40, FullDllName: 0x48, BaseDllName: 0x58, Length: 0xa0 } as const;

/** RTL_PROCESS_MODULE_INFORMATION (ZwQuerySystemInformation class 11) */
export const MODULE_INFORMATION = { ImageBase: 0x10, ImageSize: 0x18, LoadOrderIndex: 0x20, OffsetToFileName: 0x26, FullPathName: 0x28, Length: 0x128 } as const;

export const IA32_LSTAR = 0xc0000082;
export const IA32_STAR = 0xc0000081;
export const IA32_CSTAR = 0xc0000083;
export const IA32_FMASK = 0xc0000084;
export const IA32_GS_BASE = 0xc0000101;
export const IA32_KERNEL_GS_BASE = 0xc0000102;
export const IA32_SYSENTER_EIP = 0x176;

/** Where things live; ntoskrnl without KASLR as on Windows 7 (build 7601). */
export const LAYOUT = {
  ntoskrnl: kernelAddress(0xfffff80002a5c000n),
  hal: kernelAddress(0xfffff80002a13000n),
  /** KPCR of processor 0 lies in ntoskrnl's data on a real system; here on its own pages */
  kpcr: kernelAddress(0xfffff80002c0cd00n),
  idt: kernelAddress(0xfffff80000b96080n),
  gdt: kernelAddress(0xfffff80000b95000n),
  tss: kernelAddress(0xfffff80000b96000n - 0x1000n),
  /** HAL heap: fixed on Windows 7 x64, writable, a well-known place for kernel payloads to stash data */
  halHeap: kernelAddress(0xffffffffffd00000n),
  halHeapSize: 0x10000,
  sharedUserData: kernelAddress(0xfffff78000000000n),
  drivers: kernelAddress(0xfffff88000c00000n),
  kernelStackTop: kernelAddress(0xfffff88002f3c000n),
  kernelStackSize: 0x6000,
  nonPagedPool: kernelAddress(0xfffffa8001800000n),
  nonPagedPoolSize: 16 << 20,
  /** user-mode ranges for a process the kernel payload writes into (ZwAllocateVirtualMemory while attached) */
  userAllocations: 0x00000000001a0000,
  userTeb: 0x000007fffffde000,
  userStackTop: 0x000000000012f000,
  userReturn: 0x0000000077a8135a,
} as const;
