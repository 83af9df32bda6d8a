/**
 * The emulated Windows 7 / 2008 R2 x64 kernel: kernel addresses in the CPU, the privileged
 * instructions a kernel payload uses, and a hand-written kernel program that finds ntoskrnl,
 * resolves an export by hash and allocates pool — nothing in it knows the emulated layout.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cpu, Memory, PERM_RWX, REG } from '../../../src/emulator/cpu/index.ts';
import { profileShellcode } from '../../../src/emulator/finder/profile-shellcode.ts';
import { findKernelEntries } from '../../../src/emulator/finder/kernel-entries.ts';
import { EPROCESS, ETHREAD, KernelMemory, kernelAddress, KPCR, WindowsKernel } from '../../../src/emulator/windows-kernel/index.ts';
import { KERNEL_X64_ALLOCATE } from './handwritten-kernel-shellcode.ts';

function kernelRun(code: Uint8Array): { cpu: Cpu; kernel: WindowsKernel; base: number } {
  const cpu = new Cpu({ mode: 64, memory: new Memory({ maxMappedBytes: 128 << 20 }) });
  const kernel = new WindowsKernel(cpu);
  cpu.environment = kernel.environment();
  const base = kernel.loadCode(code);
  kernel.prepareThread(base);
  return { cpu, kernel, base };
}

describe('the emulated Windows x64 kernel', () => {
  it('kernel (upper-half) addresses are exact: stack, calls, RIP-relative lea, moffs loads', () => {
    const memory = new Memory();
    const code = kernelAddress(0xfffff80002a00000n);
    const stack = kernelAddress(0xfffff88002f00000n);
    memory.map(code, 0x1000, PERM_RWX);
    memory.map(stack, 0x1000, PERM_RWX);
    memory.map(kernelAddress(0xffffffffffd00000n), 0x1000, PERM_RWX);
    // lea rax, [rip+0x10]; call +0; pop rbx; movabs [0xffffffffffd00ff8], rax; movabs rcx, [0xffffffffffd00ff8]; hlt
    memory.writeBytes(code, Uint8Array.from([
      0x48, 0x8d, 0x05, 0x10, 0x00, 0x00, 0x00,
      0xe8, 0x00, 0x00, 0x00, 0x00,
      0x5b,
      0x48, 0xa3, 0xf8, 0x0f, 0xd0, 0xff, 0xff, 0xff, 0xff, 0xff,
      0x48, 0x8b, 0x0c, 0x25, 0xf8, 0x0f, 0xd0, 0xff,
      0xf4,
    ]));
    const cpu = new Cpu({ mode: 64, memory });
    cpu.setRegister(REG.rsp, stack + 0x800);
    cpu.ip = code;
    const result = cpu.run({ maxInstructions: 100 });
    assert.equal(result.reason, 'hlt');
    assert.equal(cpu.getRegisterBig(REG.rax), 0xfffff80002a00017n);
    assert.equal(cpu.getRegisterBig(REG.rbx), 0xfffff80002a0000cn);
    assert.equal(cpu.getRegisterBig(REG.rcx), 0xfffff80002a00017n);
    assert.equal(cpu.getRegisterBig(REG.rsp), 0xfffff88002f00800n);
  });

  it('rdmsr / wrmsr / swapgs / cli are #GP without a kernel environment', () => {
    for (const bytes of [[0x0f, 0x32], [0x0f, 0x30], [0x0f, 0x01, 0xf8], [0xfa]]) {
      const memory = new Memory();
      memory.map(0x400000, 0x1000, PERM_RWX);
      memory.writeBytes(0x400000, Uint8Array.from(bytes));
      const cpu = new Cpu({ mode: 64, memory });
      cpu.ip = 0x400000;
      const result = cpu.run({ maxInstructions: 10 });
      assert.equal(result.fault?.kind, 'general_protection', bytes.join(' '));
    }
  });

  it('the KPCR behind gs and the process list carry Windows 7 SP1 x64 offsets', () => {
    const { cpu, kernel } = kernelRun(Uint8Array.of(0xc3));
    const memory = new KernelMemory(cpu.memory);
    const thread = memory.pointer(cpu.gsBase + 0x188);
    assert.equal(memory.pointer(cpu.gsBase + KPCR.Self), cpu.gsBase);
    const system = memory.pointer(thread + 0x210);
    assert.equal(memory.cString(system + EPROCESS.ImageFileName), 'System');
    const names: string[] = [];
    let link = memory.pointer(system + EPROCESS.ActiveProcessLinks);
    while (link !== system + EPROCESS.ActiveProcessLinks && names.length < 64) {
      names.push(memory.cString(link - EPROCESS.ActiveProcessLinks + EPROCESS.ImageFileName));
      link = memory.pointer(link);
    }
    for (const name of ['smss.exe', 'csrss.exe', 'lsass.exe', 'spoolsv.exe']) assert.ok(names.includes(name), names.join(','));
    assert.equal(cpu.run({ maxInstructions: 10 }).reason, 'exit', 'ret goes back to the exploited driver');
    assert.deepEqual(kernel.trace.events, []);
  });

  it('a hand-written kernel program finds ntoskrnl from IA32_LSTAR, resolves ExAllocatePool by ROR13 and allocates pool', () => {
    const { cpu, kernel } = kernelRun(KERNEL_X64_ALLOCATE);
    const result = cpu.run({ maxInstructions: 200_000 });
    assert.equal(result.reason, 'exit', JSON.stringify(result));
    const allocation = kernel.trace.events.find((event) => event.api === 'ntoskrnl.ExAllocatePool');
    assert.ok(allocation, kernel.trace.summaries().join('\n'));
    assert.equal(allocation.args.size, 4096);
    assert.equal(allocation.args.poolType, 'NonPagedPool');
    const pool = Number(BigInt.asIntN(64, BigInt(allocation.args.address as string)));
    assert.equal(new KernelMemory(cpu.memory).u32(pool), 0x4b4f4b4f);
  });

  it('profileShellcode runs it on a kernel target', () => {
    const result = profileShellcode(KERNEL_X64_ALLOCATE, { targets: [{ os: 'windows', bits: 64, kernel: true }], offsets: [0] });
    assert.deepEqual(result.trace?.events.map((event) => event.summary), [`ExAllocatePool(NonPagedPool, 4096) = ${result.trace?.events[0]?.args.address}`]);
    assert.equal(result.trace?.endReason, 'exit');
  });

  it('a user-mode APC queued into lsass.exe is recorded with its routine, as an implant delivers its payload', () => {
    const { cpu, kernel } = kernelRun(Uint8Array.of(0xc3));
    const memory = new KernelMemory(cpu.memory);
    /** calls an export as x64 code would: arguments in rcx, rdx, r8, r9, then above the shadow space */
    const call = (name: string, ...args: number[]): bigint => {
      const sp = cpu.stackPointer - 0x100;
      cpu.setRegister(REG.rsp, sp);
      memory.setU64(sp, cpu.ip);
      [REG.rcx, REG.rdx, REG.r8, REG.r9].forEach((register, index) => cpu.setRegister(register, args[index] ?? 0));
      args.slice(4).forEach((value, index) => memory.setU64(sp + 0x28 + index * 8, value));
      kernel.handleHook(kernel.exportAddress(name)!);
      return cpu.getRegisterBig(REG.rax);
    };
    const scratch = kernel.allocatePool(0x100);
    assert.equal(call('PsLookupProcessByProcessId', 504, scratch), 0n);
    const lsass = memory.pointer(scratch);
    assert.equal(memory.cString(Number(BigInt.asIntN(64, call('PsGetProcessImageFileName', lsass)))), 'lsass.exe');
    const thread = memory.pointer(lsass + EPROCESS.ThreadListHead) - ETHREAD.ThreadListEntry;
    call('KeStackAttachProcess', lsass, scratch + 0x20);
    memory.setU64(scratch + 0x80, 0n);
    memory.setU64(scratch + 0x88, 0x1000n);
    assert.equal(call('ZwAllocateVirtualMemory', -1, scratch + 0x80, 0, scratch + 0x88, 0x3000, 0x40), 0n);
    const user = memory.pointer(scratch + 0x80);
    memory.writeBytes(user, Uint8Array.of(0xfc, 0x48, 0x83, 0xe4, 0xf0));
    const apc = kernel.allocatePool(0x58);
    call('KeInitializeApc', apc, thread, 0, 0, 0, user, 1, 0);
    assert.equal(call('KeInsertQueueApc', apc, 0, 0, 0), 1n);
    call('KeUnstackDetachProcess', scratch + 0x20);
    const queued = kernel.trace.events.find((event) => event.summary === 'user-mode payload queued into lsass.exe');
    assert.ok(queued, kernel.trace.summaries().join('\n'));
    assert.equal(queued.args.routineBytes, 'fc4883e4f0' + '00'.repeat(11));
    assert.ok(kernel.trace.summaries().includes('attach to lsass.exe'));
    assert.ok(kernel.trace.summaries().some((line) => line.startsWith('ZwAllocateVirtualMemory(lsass.exe, 4096 bytes, PAGE_EXECUTE_READWRITE) = 0x')));
  });

  it('kernel entries: the x86/x64 polyglot start followed by kernel-only code, copies dropped', () => {
    const payload = Uint8Array.from([0x31, 0xc0, 0x40, 0x90, 0x74, 0x01, 0xc3, ...KERNEL_X64_ALLOCATE]);
    const stream = new Uint8Array(3 * payload.length + 100);
    stream.set(payload, 10);
    stream.set(payload, 10 + payload.length + 40);
    const entries = findKernelEntries(stream);
    assert.deepEqual(entries.map((entry) => entry.offset), [10]);
    assert.equal(entries[0]!.hints.kernel, true);
    assert.deepEqual(findKernelEntries(Uint8Array.from([0x31, 0xc0, 0x40, 0x90, 0x74, 0x01, 0xc3, 0x90])), [], 'no kernel markers, no entry');
  });
});
