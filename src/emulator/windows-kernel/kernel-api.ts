/**
 * The ntoskrnl / hal exports the emulated kernel answers, with their real names (hash resolvers
 * compare hashes of the export name table) and emulations that record what the payload asked for.
 * Arguments follow the x64 convention: rcx, rdx, r8, r9, then the stack above the shadow space.
 */
import type { ArgumentValue, BehaviourKind } from '../behaviour/index.ts';
import { utf16 } from './kernel-memory.ts';
import { EPROCESS, ETHREAD, formatAddress, KAPC, KTHREAD } from './kernel-structures.ts';
import type { KernelCall, WindowsKernel } from './windows-kernel.ts';

export interface KernelApiOutcome {
  value: bigint | number;
  kind?: BehaviourKind;
  summary?: string;
  args?: Record<string, ArgumentValue>;
}

export type KernelApiHandler = (kernel: WindowsKernel, call: KernelCall) => KernelApiOutcome;

export const STATUS = {
  SUCCESS: 0,
  INFO_LENGTH_MISMATCH: 0xc0000004,
  INVALID_PARAMETER: 0xc000000d,
  INVALID_INFO_CLASS: 0xc0000003,
  NO_MEMORY: 0xc0000017,
} as const;

/** ntoskrnl.exe's exports: generous, so hash resolvers of unseen payloads find theirs. */
export const NTOSKRNL_EXPORTS = `
ExAllocatePool ExAllocatePoolWithTag ExAllocatePoolWithQuotaTag ExFreePool ExFreePoolWithTag ExQueueWorkItem
ExInitializeWorkItem ExAcquireFastMutex ExReleaseFastMutex ExGetPreviousMode
IoGetCurrentProcess IoAllocateMdl IoFreeMdl IoGetDeviceObjectPointer IoCreateDevice IoDeleteDevice IofCompleteRequest
IoThreadToProcess IoGetCurrentIrpStackLocation
KeGetCurrentThread KeGetCurrentIrql KeRaiseIrqlToDpcLevel KeLowerIrql KeStackAttachProcess KeUnstackDetachProcess
KeAttachProcess KeDetachProcess KeInitializeApc KeInsertQueueApc KeInitializeDpc KeInsertQueueDpc KeInitializeEvent
KeSetEvent KeWaitForSingleObject KeDelayExecutionThread KeQuerySystemTime KeQueryInterruptTime KeQueryTickCount
KeAcquireSpinLockRaiseToDpc KeReleaseSpinLock KeAcquireSpinLockAtDpcLevel KeReleaseSpinLockFromDpcLevel KeBugCheckEx
KeServiceDescriptorTable KeAddSystemServiceTable KeNumberProcessors KeSetSystemAffinityThread KeRevertToUserAffinityThread
KeInitializeSpinLock KeEnterCriticalRegion KeLeaveCriticalRegion KeFlushEntireTb KeIpiGenericCall
MmGetSystemRoutineAddress MmIsAddressValid MmProbeAndLockPages MmUnlockPages MmMapLockedPagesSpecifyCache
MmUnmapLockedPages MmGetPhysicalAddress MmMapIoSpace MmUnmapIoSpace MmAllocateNonCachedMemory MmCopyVirtualMemory
MmHighestUserAddress MmUserProbeAddress MmSystemRangeStart MmGetVirtualForPhysical
ObReferenceObjectByHandle ObReferenceObjectByPointer ObDereferenceObject ObfDereferenceObject ObfReferenceObject
ObOpenObjectByPointer ObReferenceObjectByName
PsGetCurrentProcess PsGetCurrentProcessId PsGetCurrentThread PsGetCurrentThreadId PsGetProcessImageFileName
PsLookupProcessByProcessId PsLookupThreadByThreadId PsGetProcessId PsGetProcessPeb PsGetThreadTeb PsGetThreadProcess
PsGetThreadId PsGetThreadProcessId PsGetProcessSectionBaseAddress PsIsSystemThread PsIsThreadTerminating
PsCreateSystemThread PsTerminateSystemThread PsGetVersion PsLoadedModuleList PsInitialSystemProcess PsProcessType
PsThreadType PsGetProcessWow64Process PsGetCurrentProcessSessionId PsSetCreateProcessNotifyRoutine
PsSetLoadImageNotifyRoutine PsSetCreateThreadNotifyRoutine PsReferencePrimaryToken
RtlCopyMemory RtlMoveMemory RtlZeroMemory RtlFillMemory RtlCompareMemory RtlGetVersion RtlInitUnicodeString
RtlInitAnsiString RtlCompareUnicodeString RtlEqualUnicodeString RtlAnsiStringToUnicodeString RtlUnicodeStringToAnsiString
RtlFreeUnicodeString RtlImageNtHeader RtlImageDirectoryEntryToData RtlLookupFunctionEntry RtlVirtualUnwind
RtlRandomEx RtlCaptureContext RtlPcToFileHeader
ZwAllocateVirtualMemory ZwFreeVirtualMemory ZwProtectVirtualMemory ZwQuerySystemInformation NtQuerySystemInformation
ZwQueryInformationProcess ZwOpenProcess ZwClose ZwCreateFile ZwWriteFile ZwReadFile ZwOpenKey ZwQueryValueKey
ZwSetValueKey ZwCreateKey ZwDeleteFile ZwCreateSection ZwMapViewOfSection ZwUnmapViewOfSection ZwWaitForSingleObject
ZwTerminateProcess ZwCreateEvent ZwYieldExecution ZwQueryInformationThread ZwDuplicateObject ZwOpenThread
NtBuildNumber NtClose NtOpenProcess NtAllocateVirtualMemory NtFreeVirtualMemory
DbgPrint DbgPrintEx KdDebuggerEnabled KdDebuggerNotPresent
memcpy memmove memset memcmp strlen strncpy strcmp _stricmp wcslen _wcsicmp strstr
SeTokenImpersonationLevel SeExports SeSinglePrivilegeCheck
`.split(/\s+/).filter((name) => name !== '');

/** Exports that are variables, not code: rva within ntoskrnl's .data, filled by the kernel. */
export const NTOSKRNL_DATA_EXPORTS = ['PsLoadedModuleList', 'PsInitialSystemProcess', 'NtBuildNumber', 'KeNumberProcessors', 'MmHighestUserAddress', 'MmUserProbeAddress', 'MmSystemRangeStart', 'KdDebuggerEnabled', 'KdDebuggerNotPresent', 'KeServiceDescriptorTable', 'PsProcessType', 'PsThreadType', 'SeExports'];

export const HAL_EXPORTS = ['HalGetBusData', 'HalSetBusData', 'HalRequestSoftwareInterrupt', 'HalReturnToFirmware', 'HalQueryRealTimeClock', 'KeStallExecutionProcessor', 'HalGetInterruptVector', 'HalTranslateBusAddress'];

const POOL_TYPES = ['NonPagedPool', 'PagedPool', 'NonPagedPoolMustSucceed', 'DontUseThisType', 'NonPagedPoolCacheAligned', 'PagedPoolCacheAligned'];

function poolType(value: number): string {
  return POOL_TYPES[value & 0x1ff] ?? `pool type ${value}`;
}

function tag(value: number): string {
  let out = '';
  for (let i = 0; i < 4; i++) {
    const code = (value >>> (i * 8)) & 0xff;
    out += code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : '.';
  }
  return out;
}

const PAGE_PROTECTIONS: Record<number, string> = { 0x01: 'PAGE_NOACCESS', 0x02: 'PAGE_READONLY', 0x04: 'PAGE_READWRITE', 0x10: 'PAGE_EXECUTE', 0x20: 'PAGE_EXECUTE_READ', 0x40: 'PAGE_EXECUTE_READWRITE' };

function allocatePool(kernel: WindowsKernel, call: KernelCall, name: string, tagged: boolean): KernelApiOutcome {
  const type = call.int(0);
  const size = call.int(1);
  const address = kernel.allocatePool(size);
  const args: Record<string, ArgumentValue> = { poolType: poolType(type), size, address: formatAddress(address) };
  if (tagged) args.tag = tag(call.int(2));
  return { value: address, kind: 'memory', args, summary: `${name}(${poolType(type)}, ${size}${tagged ? `, '${tag(call.int(2))}'` : ''}) = ${formatAddress(address)}` };
}

function copyMemory(kernel: WindowsKernel, call: KernelCall, name: string): KernelApiOutcome {
  const destination = call.address(0);
  const source = call.address(1);
  const length = call.int(2);
  const bytes = kernel.memory.bytes(source, length);
  if (bytes) kernel.memory.writeBytes(destination, bytes);
  return { value: destination, kind: 'memory', args: { destination: formatAddress(destination), source: formatAddress(source), length }, summary: `${name}(${formatAddress(destination)}, ${formatAddress(source)}, ${length})` };
}

function processName(kernel: WindowsKernel, process: number): string {
  return kernel.memory.mapped(process + EPROCESS.ImageFileName, 15) ? kernel.memory.cString(process + EPROCESS.ImageFileName, 15) : formatAddress(process);
}

function field(offset: number, label: string): KernelApiHandler {
  return (kernel, call) => {
    const object = call.address(0);
    const value = kernel.memory.u64(object + offset);
    return { value, args: { object: formatAddress(object) }, summary: `${label}(${formatAddress(object)}) = 0x${value.toString(16)}` };
  };
}

/** A notification callback registered on code outside every image runs at each process/image/thread event. */
function notifyRoutine(kernel: WindowsKernel, call: KernelCall, name: string, remove: number): KernelApiOutcome {
  const routine = call.address(0);
  if (remove === 0 && kernel.isForeignCode(routine)) kernel.recordImplant('callback', `callback.${name}.${routine}`, { register: name, routine: formatAddress(routine) }, `${name} registers ${formatAddress(routine)} (implant installed)`);
  return { value: STATUS.SUCCESS, kind: 'thread', args: { routine: formatAddress(routine), remove: remove !== 0 }, summary: `${name}(${formatAddress(routine)}${remove !== 0 ? ', remove' : ''})` };
}

export const KERNEL_API: Record<string, KernelApiHandler> = {
  ExAllocatePool: (kernel, call) => allocatePool(kernel, call, 'ExAllocatePool', false),
  ExAllocatePoolWithTag: (kernel, call) => allocatePool(kernel, call, 'ExAllocatePoolWithTag', true),
  ExAllocatePoolWithQuotaTag: (kernel, call) => allocatePool(kernel, call, 'ExAllocatePoolWithQuotaTag', true),
  ExFreePool: (_kernel, call) => ({ value: 0, kind: 'memory', args: { address: formatAddress(call.address(0)) }, summary: `ExFreePool(${formatAddress(call.address(0))})` }),
  ExFreePoolWithTag: (_kernel, call) => ({ value: 0, kind: 'memory', args: { address: formatAddress(call.address(0)) }, summary: `ExFreePoolWithTag(${formatAddress(call.address(0))})` }),
  ZwQuerySystemInformation: (kernel, call) => querySystemInformation(kernel, call, 'ZwQuerySystemInformation'),
  NtQuerySystemInformation: (kernel, call) => querySystemInformation(kernel, call, 'NtQuerySystemInformation'),
  RtlGetVersion: (kernel, call) => {
    const info = call.address(0);
    kernel.memory.setU32(info + 4, 6);
    kernel.memory.setU32(info + 8, 1);
    kernel.memory.setU32(info + 12, 7601);
    kernel.memory.setU32(info + 16, 2);
    kernel.memory.writeBytes(info + 20, utf16('Service Pack 1\0'));
    return { value: 0, args: { info: formatAddress(info), version: '6.1.7601' }, summary: 'RtlGetVersion: 6.1.7601 (Service Pack 1)' };
  },
  PsGetVersion: (kernel, call) => {
    const outputs = [6, 1, 7601];
    outputs.forEach((value, index) => {
      const pointer = call.address(index);
      if (pointer !== 0) kernel.memory.setU32(pointer, value);
    });
    return { value: 0, args: { version: '6.1.7601' }, summary: 'PsGetVersion: 6.1.7601' };
  },
  KeGetCurrentThread: (kernel) => ({ value: kernel.currentThread }),
  PsGetCurrentThread: (kernel) => ({ value: kernel.currentThread }),
  PsGetCurrentProcess: (kernel) => ({ value: kernel.currentProcess }),
  IoGetCurrentProcess: (kernel) => ({ value: kernel.currentProcess }),
  PsGetCurrentProcessId: (kernel) => ({ value: kernel.memory.u64(kernel.currentProcess + EPROCESS.UniqueProcessId) }),
  PsGetCurrentThreadId: (kernel) => ({ value: kernel.memory.u64(kernel.currentThread + ETHREAD.UniqueThread) }),
  PsGetProcessImageFileName: (kernel, call) => {
    const process = call.address(0);
    return { value: process + EPROCESS.ImageFileName, args: { process: processName(kernel, process) }, summary: `PsGetProcessImageFileName(${processName(kernel, process)})` };
  },
  PsGetProcessId: field(EPROCESS.UniqueProcessId, 'PsGetProcessId'),
  PsGetProcessPeb: field(EPROCESS.Peb, 'PsGetProcessPeb'),
  PsGetThreadTeb: field(KTHREAD.Teb, 'PsGetThreadTeb'),
  PsGetThreadProcess: field(KTHREAD.Process, 'PsGetThreadProcess'),
  IoThreadToProcess: field(KTHREAD.Process, 'IoThreadToProcess'),
  PsGetThreadId: field(ETHREAD.UniqueThread, 'PsGetThreadId'),
  PsGetThreadProcessId: field(ETHREAD.UniqueProcess, 'PsGetThreadProcessId'),
  PsIsSystemThread: (kernel, call) => ({ value: kernel.isSystemThread(call.address(0)) ? 1 : 0 }),
  PsLookupProcessByProcessId: (kernel, call) => {
    const pid = call.int(0);
    const process = kernel.processById(pid);
    if (process !== undefined) kernel.memory.setU64(call.address(1), process);
    const name = process !== undefined ? processName(kernel, process) : 'none';
    return { value: process !== undefined ? STATUS.SUCCESS : STATUS.INVALID_PARAMETER, kind: 'other', args: { pid, process: name }, summary: `PsLookupProcessByProcessId(${pid}) = ${name}` };
  },
  PsLookupThreadByThreadId: (kernel, call) => {
    const thread = kernel.threadById(call.int(0));
    if (thread !== undefined) kernel.memory.setU64(call.address(1), thread);
    return { value: thread !== undefined ? STATUS.SUCCESS : STATUS.INVALID_PARAMETER };
  },
  KeStackAttachProcess: (kernel, call) => {
    const process = call.address(0);
    kernel.attach(process);
    return { value: 0, kind: 'other', args: { process: processName(kernel, process) }, summary: `attach to ${processName(kernel, process)}` };
  },
  KeAttachProcess: (kernel, call) => {
    kernel.attach(call.address(0));
    return { value: 0, kind: 'other', args: { process: processName(kernel, call.address(0)) }, summary: `attach to ${processName(kernel, call.address(0))}` };
  },
  KeUnstackDetachProcess: (kernel) => {
    kernel.detach();
    return { value: 0 };
  },
  KeDetachProcess: (kernel) => {
    kernel.detach();
    return { value: 0 };
  },
  ZwAllocateVirtualMemory: (kernel, call) => allocateVirtual(kernel, call, 'ZwAllocateVirtualMemory'),
  NtAllocateVirtualMemory: (kernel, call) => allocateVirtual(kernel, call, 'NtAllocateVirtualMemory'),
  KeInitializeApc: (kernel, call) => {
    const apc = call.address(0);
    const memory = kernel.memory;
    memory.setU8(apc + KAPC.Type, 0x12);
    memory.setU8(apc + KAPC.Size, KAPC.Length);
    memory.setU64(apc + KAPC.Thread, call.address(1));
    memory.setU64(apc + KAPC.KernelRoutine, call.address(3));
    memory.setU64(apc + KAPC.RundownRoutine, call.address(4));
    memory.setU64(apc + KAPC.NormalRoutine, call.address(5));
    memory.setU8(apc + KAPC.ApcMode, call.int(6) & 1);
    memory.setU64(apc + KAPC.NormalContext, call.address(7));
    const mode = call.int(6) & 1 ? 'UserMode' : 'KernelMode';
    return { value: 0, kind: 'thread', args: { apc: formatAddress(apc), thread: formatAddress(call.address(1)), normalRoutine: formatAddress(call.address(5)), mode }, summary: `KeInitializeApc(${mode}, routine ${formatAddress(call.address(5))})` };
  },
  KeInsertQueueApc: (kernel, call) => kernel.queueApc(call.address(0), call.address(1), call.address(2)),
  ObDereferenceObject: () => ({ value: 0 }),
  ObfDereferenceObject: () => ({ value: 0 }),
  ObfReferenceObject: () => ({ value: 0 }),
  RtlCopyMemory: (kernel, call) => copyMemory(kernel, call, 'RtlCopyMemory'),
  RtlMoveMemory: (kernel, call) => copyMemory(kernel, call, 'RtlMoveMemory'),
  memcpy: (kernel, call) => copyMemory(kernel, call, 'memcpy'),
  memmove: (kernel, call) => copyMemory(kernel, call, 'memmove'),
  memset: (kernel, call) => {
    kernel.memory.writeBytes(call.address(0), new Uint8Array(call.int(2)).fill(call.int(1) & 0xff));
    return { value: call.address(0) };
  },
  RtlZeroMemory: (kernel, call) => {
    kernel.memory.writeBytes(call.address(0), new Uint8Array(call.int(1)));
    return { value: 0 };
  },
  MmIsAddressValid: (kernel, call) => ({ value: kernel.memory.mapped(call.address(0)) ? 1 : 0 }),
  MmGetSystemRoutineAddress: (kernel, call) => {
    const name = kernel.memory.unicodeString(call.address(0));
    const address = kernel.exportAddress(name) ?? 0;
    return { value: address, kind: 'resolve', args: { name }, summary: `resolve ntoskrnl.exe!${name}` };
  },
  PsCreateSystemThread: (kernel, call) => {
    const start = call.address(5);
    // a thread on code the payload brought runs on after the payload returns
    if (kernel.isForeignCode(start)) kernel.recordImplant('system_thread', `thread.${start}`, { startRoutine: formatAddress(start) }, `system thread started on ${formatAddress(start)} (implant installed)`);
    return { value: 0, kind: 'thread', args: { startRoutine: formatAddress(start) }, summary: `PsCreateSystemThread(start ${formatAddress(start)})` };
  },
  PsSetCreateProcessNotifyRoutine: (kernel, call) => notifyRoutine(kernel, call, 'PsSetCreateProcessNotifyRoutine', call.int(1) & 0xff),
  PsSetLoadImageNotifyRoutine: (kernel, call) => notifyRoutine(kernel, call, 'PsSetLoadImageNotifyRoutine', 0),
  PsSetCreateThreadNotifyRoutine: (kernel, call) => notifyRoutine(kernel, call, 'PsSetCreateThreadNotifyRoutine', 0),
  KeDelayExecutionThread: (kernel, call) => {
    const interval = kernel.memory.u64(call.address(2));
    const milliseconds = Number(BigInt.asIntN(64, interval) < 0n ? -BigInt.asIntN(64, interval) : 0n) / 10_000;
    kernel.trace.virtualTimeMs += milliseconds;
    return { value: 0, kind: 'time', args: { milliseconds }, summary: `sleep ${milliseconds} ms` };
  },
  DbgPrint: (kernel, call) => ({ value: 0, args: { text: kernel.memory.cString(call.address(0)) }, summary: `DbgPrint ${JSON.stringify(kernel.memory.cString(call.address(0)))}` }),
};

function allocateVirtual(kernel: WindowsKernel, call: KernelCall, name: string): KernelApiOutcome {
  const basePointer = call.address(1);
  const sizePointer = call.address(3);
  const protect = call.int(5);
  const requested = Number(kernel.memory.u64(sizePointer));
  const address = kernel.allocateUser(requested);
  const target = processName(kernel, kernel.currentProcess);
  if (address === 0) return { value: STATUS.NO_MEMORY, kind: 'memory', args: { process: target, size: requested }, summary: `${name}(${target}, ${requested} bytes) failed` };
  kernel.memory.setU64(basePointer, address);
  kernel.memory.setU64(sizePointer, BigInt(Math.ceil(requested / 0x1000) * 0x1000));
  const protection = PAGE_PROTECTIONS[protect] ?? `0x${protect.toString(16)}`;
  return {
    value: STATUS.SUCCESS,
    kind: 'memory',
    args: { process: target, size: requested, protection, address: formatAddress(address) },
    summary: `${name}(${target}, ${requested} bytes, ${protection}) = ${formatAddress(address)}`,
  };
}

function querySystemInformation(kernel: WindowsKernel, call: KernelCall, name: string): KernelApiOutcome {
  const infoClass = call.int(0);
  const buffer = call.address(1);
  const length = call.int(2);
  const returnLength = call.address(3);
  const summary = `${name}(${infoClass === 11 ? 'SystemModuleInformation' : `class ${infoClass}`}, ${length} bytes)`;
  if (infoClass !== 11) return { value: STATUS.INVALID_INFO_CLASS, args: { infoClass }, summary };
  const modules = kernel.moduleInformation();
  if (returnLength !== 0) kernel.memory.setU32(returnLength, modules.length);
  if (length < modules.length || buffer === 0) return { value: STATUS.INFO_LENGTH_MISMATCH, args: { infoClass, length }, summary };
  kernel.memory.writeBytes(buffer, modules);
  return { value: STATUS.SUCCESS, kind: 'other', args: { infoClass, length }, summary };
}
