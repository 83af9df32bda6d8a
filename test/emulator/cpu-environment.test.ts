/**
 * What the CPU offers an environment besides hooks and syscalls: the live instruction count, guest
 * faults offered to `onException`, notices when written bytes first run, and stop reasons of their
 * own (a `blocked` call is `blocked`, not `hook_stop` with text).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CpuGuest } from '../../src/emulator/behaviour/cpu-adapter.ts';
import type { CpuFault } from '../../src/emulator/cpu/index.ts';
import { runOnce } from '../../src/emulator/finder/profile-shellcode.ts';
import { CODE_32, DATA, makeCpu, reg } from './harness.ts';
import { WINDOWS_X86_CONNECT } from './windows/handwritten-shellcode.ts';

const HOOK = 0x7000_0000;

describe('the CPU and its environment', () => {
  it('a hook reads the live instruction count: the index of the instruction it stands for', () => {
    const seen: number[] = [];
    // nop; nop; call HOOK (rel32); nop; call HOOK; hlt
    const code = [0x90, 0x90, 0xe8, ...rel32(CODE_32 + 2, HOOK), 0x90, 0xe8, ...rel32(CODE_32 + 8, HOOK), 0xf4];
    const cpu = makeCpu(code, {
      environment: {
        onHook: (inner) => {
          seen.push(inner.instructionCount);
          inner.ip = inner.popAddress();
        },
      },
    });
    cpu.addHook(HOOK);
    const result = cpu.run({ timeCheckInterval: 3 });
    assert.equal(result.reason, 'hlt');
    // nop, nop, call → the hook is the 4th instruction (index 3); then ret-by-hook, nop, call → index 6
    assert.deepEqual(seen, [3, 6]);
    assert.equal(cpu.instructionCount, 8);
  });

  it('trace events carry the instruction index at which each call happened', () => {
    const trace = runOnce({ bytes: WINDOWS_X86_CONNECT, offset: 0 }, { os: 'windows', bits: 32 }, 1_000_000, 5_000);
    const indexes = trace.events.map((event) => event.instruction);
    assert.equal(new Set(indexes).size, indexes.length, `distinct: ${indexes.join(', ')}`);
    assert.deepEqual([...indexes].sort((a, b) => a - b), indexes, 'increasing');
    assert.ok(indexes[0]! > 100 && indexes[indexes.length - 1]! < trace.instructionCount);
  });

  it('a fault offered to onException can redirect execution, and the run goes on', () => {
    const faults: CpuFault[] = [];
    // xor eax, eax; mov ebx, [eax] (faults); hlt at +4 is skipped to by the handler; mov ecx, 7 at +5; hlt
    const cpu = makeCpu([0x31, 0xc0, 0x8b, 0x18, 0xf4, 0xb9, 7, 0, 0, 0, 0xf4], {
      environment: {
        onException: (inner, fault) => {
          faults.push(fault);
          inner.ip = CODE_32 + 5;
          return true;
        },
      },
    });
    const result = cpu.run();
    assert.equal(result.reason, 'hlt');
    assert.deepEqual(faults, [{ kind: 'unmapped_read', address: 0 }]);
    assert.equal(reg(cpu, 'rcx'), 7);
  });

  it('a handler that faults again and again still ends on the instruction limit', () => {
    let offered = 0;
    const cpu = makeCpu([0x8b, 0x18], {
      registers: { rax: 0 },
      environment: {
        onException: () => {
          offered++;
          return true; // retry the same instruction for ever
        },
      },
    });
    const result = cpu.run({ maxInstructions: 500 });
    assert.equal(result.reason, 'instruction_limit');
    assert.equal(offered, 500);
  });

  it('a run of nothing but exceptions still keeps its wall-clock budget', () => {
    const cpu = makeCpu([0x8b, 0x18], { registers: { rax: 0 }, environment: { onException: () => true } });
    const started = performance.now();
    const result = cpu.run({ maxInstructions: 1e12, timeBudgetMs: 50 });
    assert.equal(result.reason, 'time_limit');
    assert.ok(performance.now() - started < 1_000);
  });

  it('without onException (or when it declines) a fault ends the run as before', () => {
    const cpu = makeCpu([0x8b, 0x18], { registers: { rax: 0 }, environment: { onException: () => false } });
    const result = cpu.run();
    assert.equal(result.reason, 'fault');
    assert.deepEqual(result.fault, { kind: 'unmapped_read', address: 0 });
    assert.equal(result.address, CODE_32);
  });

  it('the first run of guest-written bytes is noticed once per write, with its address', () => {
    const notices: number[] = [];
    const target = CODE_32 + 0x20;
    // mov ecx, 3; loop: mov byte [target], 0x40 (inc eax); call target; dec ecx; jnz loop; hlt
    // target: (written) inc eax, then ret
    const body = [0xb9, 3, 0, 0, 0, 0xc6, 0x05, ...le32(target), 0x40, 0xe8, ...rel32(CODE_32 + 12, target), 0x49, 0x75, 0xf1, 0xf4];
    const bytes = [...body, ...new Array<number>(0x20 - body.length).fill(0x90), 0x90, 0xc3];
    const cpu = makeCpu(bytes, { environment: { onFirstExecuteOfWritten: (_inner, address) => notices.push(address) } });
    cpu.memory.trackWrites = true;
    const result = cpu.run();
    assert.equal(result.reason, 'hlt');
    assert.equal(reg(cpu, 'rax') >>> 0, 3);
    // rewritten with the same byte each pass: each write marks it again, so each pass is noticed
    assert.deepEqual(notices, [target, target, target]);
    assert.equal(cpu.memory.countWritten(target, 2), 1);
  });

  it('written bytes that only ever run once are noticed once, and plain data writes never', () => {
    const notices: number[] = [];
    // mov dword [DATA], 0x12345678; mov byte [CODE+0x10], 0xf4 (hlt); jmp +…
    const body = [0xc7, 0x05, ...le32(DATA), 0x78, 0x56, 0x34, 0x12, 0xc6, 0x05, ...le32(CODE_32 + 0x20), 0xf4];
    const bytes = [...body, ...new Array<number>(0x20 - body.length).fill(0x90), 0x90];
    const cpu = makeCpu(bytes, { environment: { onFirstExecuteOfWritten: (_inner, address) => notices.push(address) } });
    cpu.memory.trackWrites = true;
    assert.equal(cpu.run().reason, 'hlt');
    assert.deepEqual(notices, [CODE_32 + 0x20]);
  });

  it('a call that must wait stops the run with reason blocked, the process reason as its own', () => {
    const guest = CpuGuest.create(32);
    guest.memory.map(CODE_32, 0x1000, 7);
    guest.memory.write(CODE_32, Uint8Array.of(0xcd, 0x80));
    guest.cpu.environment = { onSyscall: () => guest.stop('blocked', 'linux.read') };
    guest.cpu.ip = CODE_32;
    const result = guest.cpu.run();
    assert.equal(result.reason, 'blocked');
    assert.equal(result.detail, 'linux.read');
  });
});

function le32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
}

/** the rel32 of a 5-byte call/jmp at `at` to `target` */
function rel32(at: number, target: number): number[] {
  return le32((target - (at + 5)) >>> 0);
}
