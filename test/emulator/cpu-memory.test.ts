import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Memory, MemoryFault, PERM_EXEC, PERM_READ, PERM_RWX, PERM_WRITE } from '../../src/emulator/cpu/index.ts';
import { CODE_32, DATA, makeCpu, reg, run } from './harness.ts';

describe('Memory', () => {
  test('map rounds to pages, regions merge, unmap and protect', () => {
    const memory = new Memory();
    assert.ok(memory.map(0x10010, 0x10, PERM_READ | PERM_WRITE));
    assert.ok(memory.map(0x11000, 0x1000, PERM_READ | PERM_WRITE));
    assert.deepEqual(memory.regions(), [{ address: 0x10000, size: 0x2000, perm: PERM_READ | PERM_WRITE }]);
    assert.equal(memory.mappedBytes, 0x2000);
    assert.ok(memory.protect(0x11000, 1, PERM_READ));
    assert.equal(memory.regions().length, 2);
    memory.unmap(0x10000, 0x1000);
    assert.equal(memory.isMapped(0x10000), false);
    assert.equal(memory.mappedBytes, 0x1000);
    assert.equal(memory.protect(0x10000, 1, PERM_READ), false);
  });
  test('little-endian values across a page boundary', () => {
    const memory = new Memory();
    memory.map(0x10000, 0x2000, PERM_READ | PERM_WRITE);
    memory.write32(0x10ffe, 0x11223344);
    assert.equal(memory.read32(0x10ffe), 0x11223344);
    assert.equal(memory.read16(0x10fff), 0x2233);
    assert.deepEqual(Array.from(memory.readBytes(0x10ffe, 4)!), [0x44, 0x33, 0x22, 0x11]);
  });
  test('a faulting cross-page write changes nothing', () => {
    const memory = new Memory();
    memory.map(0x10000, 0x1000, PERM_READ | PERM_WRITE);
    memory.map(0x11000, 0x1000, PERM_READ);
    assert.throws(() => memory.write32(0x10ffe, 0xffffffff), (error: unknown) => error instanceof MemoryFault && error.kind === 'protection_write');
    assert.equal(memory.read16(0x10ffe), 0);
  });
  test('the mapped-bytes limit refuses a map and says so', () => {
    const memory = new Memory({ maxMappedBytes: 0x3000 });
    assert.ok(memory.map(0, 0x2000));
    assert.equal(memory.map(0x10000, 0x2000), false);
    assert.equal(memory.limitExceeded, true);
    assert.equal(memory.mappedBytes, 0x2000);
  });
  test('environment helpers: bytes and strings, null when unmapped', () => {
    const memory = new Memory();
    memory.map(0x1000, 0x1000, PERM_READ);
    assert.ok(memory.writeBytes(0x1000, new TextEncoder().encode('cmd.exe\0')));
    assert.equal(memory.readString(0x1000), 'cmd.exe');
    assert.equal(memory.readBytes(0x1ffe, 4), null);
    assert.equal(memory.writeBytes(0x1fff, Uint8Array.from([1, 2])), false);
  });
});

describe('faults end the run with an event', () => {
  test('read of an unmapped address', () => {
    const { result } = run([0x90, 0xa1, 0x78, 0x56, 0x34, 0x12]);
    assert.equal(result.reason, 'fault');
    assert.deepEqual(result.fault, { kind: 'unmapped_read', address: 0x12345678 });
    assert.equal(result.address, CODE_32 + 1);
    assert.equal(result.instructions, 1);
  });
  test('write to a read-only page', () => {
    const cpu = makeCpu([0xc7, 0x03, 1, 0, 0, 0, 0xf4], { registers: { rbx: DATA } });
    cpu.memory.protect(DATA, 0x1000, PERM_READ);
    const result = cpu.run();
    assert.deepEqual(result.fault, { kind: 'protection_write', address: DATA });
  });
  test('execute on a page without x', () => {
    const { result } = run([0xff, 0xe3], { registers: { rbx: DATA } });
    assert.deepEqual(result.fault, { kind: 'protection_fetch', address: DATA });
    assert.equal(result.address, DATA);
  });
  test('an instruction running off the end of mapped code', () => {
    const memory = new Memory();
    memory.map(0x10000, 0x1000, PERM_RWX);
    memory.writeBytes(0x10ffe, Uint8Array.from([0xb8, 0x01])); // mov eax, imm32 cut short
    const cpu = makeCpu([0xf4], { memory });
    cpu.ip = 0x10ffe;
    const result = cpu.run();
    assert.deepEqual(result.fault, { kind: 'unmapped_fetch', address: 0x11000 });
    assert.equal(result.address, 0x10ffe);
  });
  test('after a fault the CPU can be resumed elsewhere', () => {
    const cpu = makeCpu([0x8b, 0x00, 0xb8, 7, 0, 0, 0, 0xf4], { registers: { rax: 0 } });
    assert.equal(cpu.run().reason, 'fault');
    cpu.ip = CODE_32 + 2;
    assert.equal(cpu.run().reason, 'hlt');
    assert.equal(reg(cpu, 'rax'), 7);
  });
  test('the trace keeps the last executed addresses', () => {
    const cpu = makeCpu([0x90, 0x90, 0x90, 0xf4], { traceSize: 2 });
    cpu.run();
    assert.deepEqual(cpu.recentAddresses(), [CODE_32 + 2, CODE_32 + 3]);
    const detailed = makeCpu([0xb8, 1, 0, 0, 0, 0xf4], { traceSize: 4 });
    detailed.run();
    assert.deepEqual(
      detailed.recentInstructions().map((entry) => [entry.address, Array.from(entry.bytes)]),
      [
        [CODE_32, [0xb8, 1, 0, 0, 0]],
        [CODE_32 + 5, [0xf4]],
      ],
    );
  });
  test('PERM_EXEC alone still runs code', () => {
    const cpu = makeCpu([0x90, 0xf4]);
    cpu.memory.protect(CODE_32, 1, PERM_EXEC);
    assert.equal(cpu.run().reason, 'hlt');
  });
});
