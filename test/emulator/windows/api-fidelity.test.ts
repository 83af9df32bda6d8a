/**
 * APIs whose answers real payloads (a C runtime's start-up above all) depend on: they must behave
 * like Windows, not just return a harmless value.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCString, encodeWideString, readPointer } from '../../../src/emulator/behaviour/guest.ts';
import { harness } from './api-harness.ts';

const ERROR_PROC_NOT_FOUND = 127;

for (const bits of [32, 64] as const) {
  describe(`Windows API fidelity, x${bits === 64 ? '64' : '86'}`, () => {
    it('GetProcAddress answers NULL and ERROR_PROC_NOT_FOUND for a name a modelled DLL does not export', () => {
      const { call, process, put } = harness(bits);
      const kernel32 = process.findModule('kernel32.dll')!.base;
      const missing = call('kernel32.dll', 'GetProcAddress', [kernel32, put(encodeCString('NoSuchFunctionAnywhere'))]);
      assert.equal(missing.value, 0n);
      assert.equal(missing.popped, bits === 32 ? 12 : 8);
      assert.equal(Number(call('kernel32.dll', 'GetLastError', []).value), ERROR_PROC_NOT_FOUND);
      assert.equal(call('kernel32.dll', 'GetProcAddress', [kernel32, 0x7fff]).value, 0n, 'an ordinal it does not have');
      const found = Number(call('kernel32.dll', 'GetProcAddress', [kernel32, put(encodeCString('VirtualAlloc'))]).value);
      assert.equal(found, process.exportAddress('kernel32.dll', 'VirtualAlloc'));
    });

    it('SetLastError and GetLastError round-trip through the TEB', () => {
      const { call, process, cpu } = harness(bits);
      assert.equal(call('kernel32.dll', 'SetLastError', [0x1234]).popped, 8);
      assert.equal(Number(call('kernel32.dll', 'GetLastError', []).value), 0x1234);
      const lastErrorOffset = bits === 64 ? 0x68 : 0x34;
      assert.equal(cpu.memory.readU32(process.layout.teb + lastErrorOffset), 0x1234);
      cpu.memory.writeU32(process.layout.teb + lastErrorOffset, 5);
      assert.equal(Number(call('ntdll.dll', 'RtlGetLastWin32Error', []).value), 5);
    });

    it('current process and thread: pseudo handles and the ids in the TEB', () => {
      const { call, process, cpu } = harness(bits);
      const mask = (1n << BigInt(bits)) - 1n;
      assert.equal(call('kernel32.dll', 'GetCurrentProcess', []).value, mask);
      assert.equal(call('kernel32.dll', 'GetCurrentThread', []).value, mask - 1n);
      const clientId = process.layout.teb + (bits === 64 ? 0x40 : 0x20);
      assert.equal(Number(call('kernel32.dll', 'GetCurrentProcessId', []).value), readPointer(cpu.memory, bits, clientId));
      assert.equal(Number(call('kernel32.dll', 'GetCurrentThreadId', []).value), readPointer(cpu.memory, bits, clientId + bits / 8));
      assert.equal(call('kernel32.dll', 'GetCurrentThreadId', []).value, call('kernel32.dll', 'GetCurrentThreadId', []).value);
    });

    it('virtual time moves forward: GetTickCount and QueryPerformanceCounter', () => {
      const { call, process, put, cpu } = harness(bits);
      const counter = put(new Uint8Array(8));
      const frequency = put(new Uint8Array(8));
      assert.equal(call('kernel32.dll', 'QueryPerformanceFrequency', [frequency]).value, 1n);
      assert.ok(cpu.memory.readU64(frequency) > 0n);
      const tick = Number(call('kernel32.dll', 'GetTickCount', []).value);
      assert.equal(call('kernel32.dll', 'QueryPerformanceCounter', [counter]).value, 1n);
      const first = cpu.memory.readU64(counter);
      process.trace.virtualTimeMs += 1500; // as Sleep(1500) does
      call('kernel32.dll', 'QueryPerformanceCounter', [counter]);
      const second = cpu.memory.readU64(counter);
      assert.ok(second - first >= (cpu.memory.readU64(frequency) * 3n) / 2n, `${first} -> ${second}`);
      assert.ok(Number(call('kernel32.dll', 'GetTickCount', []).value) - tick >= 1500);
    });

    it('Interlocked operations change the LONG they point at', () => {
      const { call, cpu, put } = harness(bits);
      const value = put(Uint8Array.of(5, 0, 0, 0));
      const increment = call('kernel32.dll', 'InterlockedIncrement', [value]);
      assert.equal(increment.value, 6n);
      assert.equal(increment.popped, 8);
      assert.equal(call('kernel32.dll', 'InterlockedDecrement', [value]).value, 5n);
      assert.equal(call('kernel32.dll', 'InterlockedExchange', [value, 42]).value, 5n);
      assert.equal(cpu.memory.readU32(value), 42);
      assert.equal(call('kernel32.dll', 'InterlockedCompareExchange', [value, 7, 41]).value, 42n, 'no match: unchanged');
      assert.equal(cpu.memory.readU32(value), 42);
      const exchange = call('kernel32.dll', 'InterlockedCompareExchange', [value, 7, 42]);
      assert.equal(exchange.value, 42n);
      assert.equal(exchange.popped, bits === 32 ? 16 : 8);
      assert.equal(cpu.memory.readU32(value), 7);
      cpu.memory.writeU32(value, 0);
      assert.equal(call('kernel32.dll', 'InterlockedDecrement', [value]).value, 0xffffffffn, '-1 as a LONG');
    });

    it('the process heap: HeapAlloc zeroes on request, HeapReAlloc keeps contents, HeapSize and HeapFree', () => {
      const { call, cpu, process } = harness(bits);
      const heap = Number(call('kernel32.dll', 'GetProcessHeap', []).value);
      assert.equal(heap, process.layout.heap);
      const first = Number(call('kernel32.dll', 'HeapAlloc', [heap, 0, 40]).value);
      cpu.memory.write(first, new Uint8Array(40).fill(0xaa));
      assert.equal(call('kernel32.dll', 'HeapFree', [heap, 0, first]).value, 1n);
      assert.equal(call('kernel32.dll', 'HeapFree', [heap, 0, first]).value, 0n, 'not a live block any more');
      const zeroed = Number(call('kernel32.dll', 'HeapAlloc', [heap, 0x8, 40]).value);
      assert.deepEqual([...cpu.memory.read(zeroed, 40)], new Array(40).fill(0));
      assert.equal(Number(call('kernel32.dll', 'HeapSize', [heap, 0, zeroed]).value), 40);
      cpu.memory.write(zeroed, encodeCString('keep me'));
      const grown = call('kernel32.dll', 'HeapReAlloc', [heap, 0x8, zeroed, 0x400]);
      assert.equal(grown.popped, bits === 32 ? 20 : 8);
      const moved = Number(grown.value);
      assert.ok(moved !== 0);
      assert.deepEqual(cpu.memory.read(moved, 8), encodeCString('keep me'));
      assert.deepEqual([...cpu.memory.read(moved + 40, 0x400 - 40)], new Array(0x400 - 40).fill(0));
      assert.equal(Number(call('kernel32.dll', 'HeapSize', [heap, 0, moved]).value), 0x400);
      assert.equal(call('kernel32.dll', 'HeapReAlloc', [heap, 0x10, moved, 0x10000]).value, 0n, 'in place only: cannot grow');
      assert.equal(call('kernel32.dll', 'HeapFree', [heap, 0, 0]).value, 1n, 'freeing NULL succeeds');
    });

    it('string helpers: lstrlen, RtlZeroMemory, RtlMoveMemory, code-page conversion', () => {
      const { call, cpu, put } = harness(bits);
      assert.equal(call('kernel32.dll', 'lstrlenA', [put(encodeCString('hello'))]).value, 5n);
      assert.equal(call('kernel32.dll', 'lstrlenW', [put(encodeWideString('hello!'))]).value, 6n);
      const buffer = put(new Uint8Array(16).fill(0x55));
      call('kernel32.dll', 'RtlMoveMemory', [buffer, put(encodeCString('abc')), 3]);
      assert.deepEqual(cpu.memory.read(buffer, 4), Uint8Array.of(0x61, 0x62, 0x63, 0x55));
      const zero = call('kernel32.dll', 'RtlZeroMemory', [buffer, 2]);
      assert.equal(zero.popped, bits === 32 ? 12 : 8);
      assert.deepEqual(cpu.memory.read(buffer, 3), Uint8Array.of(0, 0, 0x63));
      const wide = put(encodeWideString('Path=C:'));
      assert.equal(call('kernel32.dll', 'WideCharToMultiByte', [0, 0, wide, -1 >>> 0, 0, 0, 0, 0]).value, 8n, 'the length asked for');
      const narrow = put(new Uint8Array(8));
      assert.equal(call('kernel32.dll', 'WideCharToMultiByte', [0, 0, wide, -1 >>> 0, narrow, 8, 0, 0]).value, 8n);
      assert.deepEqual(cpu.memory.read(narrow, 8), encodeCString('Path=C:'));
      const back = put(new Uint8Array(16));
      assert.equal(call('kernel32.dll', 'MultiByteToWideChar', [0, 0, narrow, 4, back, 8]).value, 4n);
      assert.deepEqual(cpu.memory.read(back, 8), encodeWideString('Path').subarray(0, 8));
      assert.equal(call('kernel32.dll', 'MultiByteToWideChar', [0, 0, narrow, 8, back, 2]).value, 0n, 'too small a buffer');
    });

    it('C runtime start-up: GetStartupInfo, GetEnvironmentStrings, GetModuleFileName', () => {
      const { call, cpu, put } = harness(bits);
      const size = bits === 64 ? 104 : 68;
      const info = put(new Uint8Array(size).fill(0xcc));
      call('kernel32.dll', 'GetStartupInfoA', [info]);
      assert.equal(cpu.memory.readU32(info), size);
      assert.ok(cpu.memory.read(info + 4, size - 4).every((byte) => byte === 0), 'no reserved CRT data');
      const block = Number(call('kernel32.dll', 'GetEnvironmentStringsW', []).value);
      assert.ok(block !== 0);
      const text = new TextDecoder('utf-16le').decode(cpu.memory.read(block, 0x400));
      assert.ok(text.includes('\0\0'), 'ends with an empty string');
      assert.ok(text.split('\0').some((entry) => /^SystemRoot=/i.test(entry)));
      const path = put(new Uint8Array(260));
      const length = Number(call('kernel32.dll', 'GetModuleFileNameA', [0, path, 260]).value);
      assert.match(new TextDecoder().decode(cpu.memory.read(path, length)), /^C:\\.*\.exe$/i);
      assert.equal(cpu.memory.readU8(path + length), 0);
    });
  });
}
