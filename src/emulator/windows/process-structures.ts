/**
 * Field offsets of the Windows user-mode process structures that attacker code reads directly,
 * for x86 and x64, from the public symbol layouts (TEB, PEB, PEB_LDR_DATA, LDR_DATA_TABLE_ENTRY,
 * RTL_USER_PROCESS_PARAMETERS, UNICODE_STRING). Only the fields shellcode touches are named.
 */
import { encodeWideString, writePointer, type Bits, type GuestMemory } from '../behaviour/guest.ts';

export interface StructureOffsets {
  pointer: number;
  teb: { exceptionList: number; stackBase: number; stackLimit: number; self: number; processId: number; threadId: number; peb: number; lastError: number };
  peb: { beingDebugged: number; imageBase: number; ldr: number; processParameters: number; processHeap: number; numberOfProcessors: number; osMajor: number; osMinor: number; osBuild: number; osPlatformId: number; size: number };
  ldr: { length: number; initialized: number; inLoadOrder: number; inMemoryOrder: number; inInitializationOrder: number; size: number };
  entry: { inLoadOrder: number; inMemoryOrder: number; inInitializationOrder: number; dllBase: number; entryPoint: number; sizeOfImage: number; fullDllName: number; baseDllName: number; flags: number; loadCount: number; size: number };
  unicodeString: { length: number; maximumLength: number; buffer: number; size: number };
  parameters: { imagePathName: number; commandLine: number; size: number };
  /** LIST_ENTRY: Flink, Blink */
  listEntrySize: number;
}

export const OFFSETS: Record<Bits, StructureOffsets> = {
  32: {
    pointer: 4,
    teb: { exceptionList: 0x00, stackBase: 0x04, stackLimit: 0x08, self: 0x18, processId: 0x20, threadId: 0x24, peb: 0x30, lastError: 0x34 },
    peb: { beingDebugged: 0x02, imageBase: 0x08, ldr: 0x0c, processParameters: 0x10, processHeap: 0x18, numberOfProcessors: 0x64, osMajor: 0xa4, osMinor: 0xa8, osBuild: 0xac, osPlatformId: 0xb0, size: 0x250 },
    ldr: { length: 0x00, initialized: 0x04, inLoadOrder: 0x0c, inMemoryOrder: 0x14, inInitializationOrder: 0x1c, size: 0x30 },
    entry: { inLoadOrder: 0x00, inMemoryOrder: 0x08, inInitializationOrder: 0x10, dllBase: 0x18, entryPoint: 0x1c, sizeOfImage: 0x20, fullDllName: 0x24, baseDllName: 0x2c, flags: 0x34, loadCount: 0x38, size: 0x78 },
    unicodeString: { length: 0, maximumLength: 2, buffer: 4, size: 8 },
    parameters: { imagePathName: 0x38, commandLine: 0x40, size: 0x2a0 },
    listEntrySize: 8,
  },
  64: {
    pointer: 8,
    teb: { exceptionList: 0x00, stackBase: 0x08, stackLimit: 0x10, self: 0x30, processId: 0x40, threadId: 0x48, peb: 0x60, lastError: 0x68 },
    peb: { beingDebugged: 0x02, imageBase: 0x10, ldr: 0x18, processParameters: 0x20, processHeap: 0x30, numberOfProcessors: 0xb8, osMajor: 0x118, osMinor: 0x11c, osBuild: 0x120, osPlatformId: 0x124, size: 0x380 },
    ldr: { length: 0x00, initialized: 0x04, inLoadOrder: 0x10, inMemoryOrder: 0x20, inInitializationOrder: 0x30, size: 0x58 },
    entry: { inLoadOrder: 0x00, inMemoryOrder: 0x10, inInitializationOrder: 0x20, dllBase: 0x30, entryPoint: 0x38, sizeOfImage: 0x40, fullDllName: 0x48, baseDllName: 0x58, flags: 0x68, loadCount: 0x6c, size: 0x120 },
    unicodeString: { length: 0, maximumLength: 2, buffer: 8, size: 16 },
    parameters: { imagePathName: 0x60, commandLine: 0x70, size: 0x400 },
    listEntrySize: 16,
  },
};

/** A bump writer over one mapped loader-data region (strings, entries, the Ldr itself). */
export class StructureArena {
  private next: number;

  constructor(
    private readonly memory: GuestMemory,
    readonly base: number,
    readonly size: number,
  ) {
    this.next = base;
  }

  allocate(size: number, alignment = 16): number {
    const address = Math.ceil(this.next / alignment) * alignment;
    if (address + size > this.base + this.size) throw new Error('loader arena full');
    this.next = address + size;
    return address;
  }

  /** Writes a UNICODE_STRING at `address` whose buffer (with a terminating NUL) lives in the arena. */
  unicodeString(bits: Bits, address: number, text: string): void {
    const layout = OFFSETS[bits].unicodeString;
    const bytes = encodeWideString(text);
    const buffer = this.allocate(bytes.length, 2);
    this.memory.write(buffer, bytes);
    this.memory.writeU16(address + layout.length, text.length * 2);
    this.memory.writeU16(address + layout.maximumLength, text.length * 2 + 2);
    writePointer(this.memory, bits, address + layout.buffer, buffer);
  }
}

/** Links `entries` (addresses of LIST_ENTRY fields) into a circular list headed at `head`. */
export function linkList(memory: GuestMemory, bits: Bits, head: number, entries: readonly number[]): void {
  const pointer = OFFSETS[bits].pointer;
  const chain = [head, ...entries];
  for (let i = 0; i < chain.length; i++) {
    const current = chain[i]!;
    const next = chain[(i + 1) % chain.length]!;
    const previous = chain[(i - 1 + chain.length) % chain.length]!;
    writePointer(memory, bits, current, next); // Flink
    writePointer(memory, bits, current + pointer, previous); // Blink
  }
}
