import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readPointer, type Bits, type GuestMemory } from '../../../src/emulator/behaviour/guest.ts';
import { RegisterFileCpu } from '../../../src/emulator/behaviour/register-file-cpu.ts';
import { WindowsProcess } from '../../../src/emulator/windows/windows-process.ts';

function ror13(value: number): number {
  return ((value >>> 13) | (value << 19)) >>> 0;
}

/** The block_api module hash: every byte of the BaseDllName buffer (MaximumLength bytes, so the
 *  terminating NUL too), lower-case letters folded to upper case. */
function moduleHash(memory: GuestMemory, buffer: number, maximumLength: number): number {
  let hash = 0;
  for (let i = 0; i < maximumLength; i++) {
    let byte = memory.readU8(buffer + i);
    if (byte >= 0x61) byte -= 0x20;
    hash = (ror13(hash) + byte) >>> 0;
  }
  return hash;
}

function functionHash(memory: GuestMemory, name: number): number {
  let hash = 0;
  for (let i = 0; ; i++) {
    const byte = memory.readU8(name + i);
    hash = (ror13(hash) + byte) >>> 0;
    if (byte === 0) return hash;
  }
}

/**
 * Resolves a combined ROR13 hash exactly as a block_api-style resolver does, reading only guest
 * memory: TEB (fs:[0x30] / gs:[0x60]) → PEB → Ldr → InMemoryOrder list → BaseDllName → DllBase →
 * e_lfanew → export directory → names → ordinals → functions.
 */
function resolveByHash(memory: GuestMemory, bits: Bits, tebBase: number, wanted: number): { module: string; name: string; address: number } | null {
  const p = bits / 8;
  const peb = readPointer(memory, bits, tebBase + (bits === 64 ? 0x60 : 0x30));
  const ldr = readPointer(memory, bits, peb + (bits === 64 ? 0x18 : 0x0c));
  const head = ldr + (bits === 64 ? 0x20 : 0x14);
  for (let link = readPointer(memory, bits, head); link !== head; link = readPointer(memory, bits, link)) {
    // the link is InMemoryOrderLinks, 1 LIST_ENTRY into the LDR_DATA_TABLE_ENTRY
    const baseName = link + (bits === 64 ? 0x48 : 0x24); // BaseDllName relative to InMemoryOrderLinks
    const maximumLength = memory.readU16(baseName + 2);
    const buffer = readPointer(memory, bits, baseName + p);
    const mHash = moduleHash(memory, buffer, maximumLength);
    const dllBase = readPointer(memory, bits, link + (bits === 64 ? 0x20 : 0x10));
    const pe = dllBase + memory.readU32(dllBase + 0x3c);
    assert.equal(memory.readU16(pe + 0x18), bits === 64 ? 0x20b : 0x10b);
    const exportRva = memory.readU32(pe + (bits === 64 ? 0x88 : 0x78));
    if (exportRva === 0) continue;
    const directory = dllBase + exportRva;
    const count = memory.readU32(directory + 0x18);
    const names = dllBase + memory.readU32(directory + 0x20);
    for (let i = count - 1; i >= 0; i--) {
      const nameAddress = dllBase + memory.readU32(names + i * 4);
      if (((mHash + functionHash(memory, nameAddress)) >>> 0) !== wanted) continue;
      const ordinal = memory.readU16(dllBase + memory.readU32(directory + 0x24) + i * 2);
      const address = dllBase + memory.readU32(dllBase + memory.readU32(directory + 0x1c) + ordinal * 4);
      let name = '';
      for (let k = 0; memory.readU8(nameAddress + k) !== 0; k++) name += String.fromCharCode(memory.readU8(nameAddress + k));
      let module = '';
      for (let k = 0; k < maximumLength - 2; k += 2) module += String.fromCharCode(memory.readU8(buffer + k));
      return { module, name, address };
    }
  }
  return null;
}

const HASHES: [number, string, string][] = [
  [0x0726774c, 'kernel32.dll', 'LoadLibraryA'],
  [0x006b8029, 'ws2_32.dll', 'WSAStartup'],
  [0xe0df0fea, 'ws2_32.dll', 'WSASocketA'],
  [0x6174a599, 'ws2_32.dll', 'connect'],
  [0x863fcc79, 'kernel32.dll', 'CreateProcessA'],
  [0x56a2b5f0, 'kernel32.dll', 'ExitProcess'],
  [0xe553a458, 'kernel32.dll', 'VirtualAlloc'],
  [0x5fc8d902, 'ws2_32.dll', 'recv'],
];

for (const bits of [32, 64] as const) {
  describe(`Windows process structures, x${bits === 64 ? '64' : '86'}`, () => {
    const cpu = new RegisterFileCpu(bits);
    const process = new WindowsProcess(cpu);
    const teb = bits === 64 ? cpu.segmentBases.gs : cpu.segmentBases.fs;

    it('TEB points at itself and at the PEB', () => {
      assert.equal(readPointer(cpu.memory, bits, teb + (bits === 64 ? 0x30 : 0x18)), teb);
      assert.equal(readPointer(cpu.memory, bits, teb + (bits === 64 ? 0x60 : 0x30)), process.layout.peb);
    });

    for (const [hash, module, name] of HASHES) {
      it(`a block_api walk finds ${module}!${name} by ROR13 hash 0x${hash.toString(16).padStart(8, '0')}`, () => {
        const found = resolveByHash(cpu.memory, bits, teb, hash);
        assert.ok(found, 'hash not found');
        assert.equal(found.module, module);
        assert.equal(found.name, name);
        assert.equal(found.address, process.exportAddress(module, name));
        assert.ok(cpu.hooks.has(found.address), 'the export stub is hooked');
      });
    }

    it('holds the three loader lists in their orders', () => {
      const p = bits / 8;
      const peb = process.layout.peb;
      const ldr = readPointer(cpu.memory, bits, peb + (bits === 64 ? 0x18 : 0x0c));
      const walk = (headOffset: number, linkOffset: number): string[] => {
        const head = ldr + headOffset;
        const out: string[] = [];
        for (let link = readPointer(cpu.memory, bits, head); link !== head; link = readPointer(cpu.memory, bits, link)) {
          const entry = link - linkOffset;
          const baseName = entry + (bits === 64 ? 0x58 : 0x2c);
          const length = cpu.memory.readU16(baseName);
          const buffer = readPointer(cpu.memory, bits, baseName + p);
          let name = '';
          for (let k = 0; k < length; k += 2) name += String.fromCharCode(cpu.memory.readU8(buffer + k));
          out.push(name);
          // Blink of the next entry points back here
          assert.equal(readPointer(cpu.memory, bits, readPointer(cpu.memory, bits, link) + p), link);
        }
        return out;
      };
      const load = walk(bits === 64 ? 0x10 : 0x0c, 0);
      const memoryOrder = walk(bits === 64 ? 0x20 : 0x14, bits === 64 ? 0x10 : 0x08);
      const initialization = walk(bits === 64 ? 0x30 : 0x1c, bits === 64 ? 0x20 : 0x10);
      assert.equal(load[0], 'svchost.exe');
      assert.deepEqual(load.slice(1, 3), ['ntdll.dll', 'kernel32.dll']);
      assert.deepEqual(memoryOrder, load);
      assert.equal(initialization[0], 'ntdll.dll');
      assert.equal(initialization[1], bits === 64 ? 'kernelbase.dll' : 'kernel32.dll');
      for (const dll of ['ws2_32.dll', 'wininet.dll', 'urlmon.dll', 'msvcrt.dll', 'advapi32.dll', 'user32.dll', 'shell32.dll']) {
        assert.ok(load.includes(dll), dll);
      }
    });

    it('LDR entries carry DllBase, EntryPoint, SizeOfImage and FullDllName', () => {
      const kernel32 = process.findModule('kernel32.dll')!;
      const entry = kernel32.ldrEntry;
      assert.equal(readPointer(cpu.memory, bits, entry + (bits === 64 ? 0x30 : 0x18)), kernel32.base);
      assert.equal(readPointer(cpu.memory, bits, entry + (bits === 64 ? 0x38 : 0x1c)), kernel32.entryPoint);
      assert.equal(cpu.memory.readU32(entry + (bits === 64 ? 0x40 : 0x20)), kernel32.size);
      const full = entry + (bits === 64 ? 0x48 : 0x24);
      const buffer = readPointer(cpu.memory, bits, full + bits / 8);
      let text = '';
      for (let k = 0; k < cpu.memory.readU16(full); k += 2) text += String.fromCharCode(cpu.memory.readU8(buffer + k));
      assert.equal(text, 'C:\\WINDOWS\\system32\\kernel32.dll');
    });

    it('export names are sorted and the PE headers say DLL', () => {
      const module = process.findModule('kernel32.dll')!;
      const pe = module.base + cpu.memory.readU32(module.base + 0x3c);
      assert.equal(cpu.memory.readU32(pe), 0x4550);
      const directory = module.base + cpu.memory.readU32(pe + (bits === 64 ? 0x88 : 0x78));
      const count = cpu.memory.readU32(directory + 0x18);
      const names: string[] = [];
      for (let i = 0; i < count; i++) {
        const address = module.base + cpu.memory.readU32(module.base + cpu.memory.readU32(directory + 0x20) + i * 4);
        let name = '';
        for (let k = 0; cpu.memory.readU8(address + k) !== 0; k++) name += String.fromCharCode(cpu.memory.readU8(address + k));
        names.push(name);
      }
      assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      assert.ok(count > 150);
    });

    if (bits === 32) {
      it('has an SEH chain ending in 0xFFFFFFFF with a handler in kernel32', () => {
        const record = cpu.memory.readU32(teb);
        assert.equal(cpu.memory.readU32(record), 0xffffffff);
        const handler = cpu.memory.readU32(record + 4);
        assert.equal(handler, process.exportAddress('kernel32.dll', 'UnhandledExceptionFilter'));
      });
    }
  });
}
