import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Memory, PERM_READ, PERM_RWX, PERM_WRITE, type Cpu, type StopReason } from '../../src/emulator/cpu/index.ts';
import { Random } from './instruction-generator.ts';
import { CODE_32, DATA, makeCpu, reg } from './harness.ts';

const ENDINGS: StopReason[] = ['hlt', 'fault', 'invalid_opcode', 'instruction_limit', 'time_limit', 'hook_stop'];

describe('hostile code ends within its limits', () => {
  test('random bytes in 32- and 64-bit mode never escape as exceptions', () => {
    const seen = new Map<string, number>();
    for (const mode of [32, 64] as const) {
      for (let seed = 1; seed <= 150; seed++) {
        const rng = new Random(seed * 7919 + mode);
        const code = Array.from({ length: 4096 }, () => rng.byte());
        const cpu = makeCpu(code, { mode, registers: { rbx: DATA, rsi: DATA, rdi: DATA + 0x800 } });
        const result = cpu.run({ maxInstructions: 20_000, timeBudgetMs: 1000 });
        assert.ok(ENDINGS.includes(result.reason), `seed ${seed} mode ${mode}: ${result.reason} ${result.detail ?? ''}`);
        assert.ok(result.instructions <= 20_000);
        seen.set(result.reason, (seen.get(result.reason) ?? 0) + 1);
      }
    }
    assert.ok((seen.get('fault') ?? 0) > 0);
  });

  test('an infinite loop stops at the instruction limit, exactly', () => {
    const cpu = makeCpu([0xeb, 0xfe]);
    const result = cpu.run({ maxInstructions: 123_457, timeCheckInterval: 1000 });
    assert.equal(result.reason, 'instruction_limit');
    assert.equal(result.instructions, 123_457);
    assert.equal(result.address, CODE_32);
  });

  test('an infinite loop stops at the time budget', () => {
    const cpu = makeCpu([0x40, 0xeb, 0xfd]);
    const started = performance.now();
    const result = cpu.run({ maxInstructions: 1e15, timeBudgetMs: 50, timeCheckInterval: 10_000 });
    assert.equal(result.reason, 'time_limit');
    assert.ok(performance.now() - started < 2000);
    assert.ok(result.instructions > 0);
  });

  test('a memory bomb through an allocation hook stops at the memory limit', () => {
    const allocator = 0x7c800000;
    let next = 0x10000000;
    const environment = {
      onHook(cpu: Cpu) {
        // VirtualAlloc(1 MiB) each call
        if (cpu.memory.map(next, 0x100000, PERM_READ | PERM_WRITE)) cpu.lo[0] = next;
        next += 0x100000;
        cpu.ip = cpu.popAddress();
      },
    };
    const memory = new Memory({ maxMappedBytes: 16 * 1024 * 1024 });
    // L: mov eax, allocator; call eax; mov [eax], eax; jmp L
    const cpu = makeCpu([0xb8, 0x00, 0x00, 0x80, 0x7c, 0xff, 0xd0, 0x89, 0x00, 0xeb, 0xf5], { environment, memory });
    memory.map(allocator, 0x1000, PERM_RWX);
    cpu.addHook(allocator);
    const result = cpu.run({ maxInstructions: 1_000_000 });
    assert.equal(result.reason, 'memory_limit');
    assert.ok(memory.mappedBytes <= 16 * 1024 * 1024);
  });

  test('rep stosb with a huge count is chunked and meets the instruction limit', () => {
    const memory = new Memory();
    memory.map(0x20000000, 0x100000, PERM_READ | PERM_WRITE);
    // mov edi, 0x20000000; mov ecx, 0x100000; rep stosb
    const cpu = makeCpu([0xbf, 0, 0, 0, 0x20, 0xb9, 0, 0, 0x10, 0, 0xf3, 0xaa, 0xf4], { memory });
    const result = cpu.run({ maxInstructions: 12 });
    assert.equal(result.reason, 'instruction_limit');
    assert.equal(reg(cpu, 'rcx'), 0x100000 - 10 * 4096);
    assert.equal(result.address, CODE_32 + 10);
  });

  test('a self-modifying loop that rewrites its own branch keeps to the limit', () => {
    // L: inc byte [L+7]; mov eax, 0; jmp L   (the inc rewrites mov's immediate every pass)
    const immediate = CODE_32 + 7;
    const code = [0xfe, 0x05, immediate & 0xff, (immediate >>> 8) & 0xff, (immediate >>> 16) & 0xff, immediate >>> 24, 0xb8, 0, 0, 0, 0, 0xeb, 0xf3];
    const cpu = makeCpu(code);
    const result = cpu.run({ maxInstructions: 30_000 });
    assert.equal(result.reason, 'instruction_limit');
    assert.equal(reg(cpu, 'rax'), 10_000 & 0xff);
  });

  test('pushing forever runs off the stack into a fault', () => {
    const cpu = makeCpu([0x50, 0xeb, 0xfd]);
    const result = cpu.run({ maxInstructions: 1_000_000 });
    assert.equal(result.reason, 'fault');
    assert.equal(result.fault?.kind, 'unmapped_write');
  });
});
