/**
 * Disassembly for evidence: what the attacker code ran, as text a person reads. The emulator stays
 * free of packages, so the disassembler is an interface here and a driver elsewhere (iced-x86 in
 * src/drivers/disassembler/); `RawBytesDisassembler` is the stand-in that needs nothing.
 */
import type { Bits } from './guest.ts';

export interface DisassembledInstruction {
  address: number;
  bytes: Uint8Array;
  /** `xor eax, eax`; `(bad)` for bytes that do not decode */
  text: string;
}

export interface Disassembler {
  /** Every instruction in `bytes`, the first at `address`, in `bitness`-bit code. Never throws on bad bytes. */
  disassemble(bytes: Uint8Array, address: number, bitness: Bits): DisassembledInstruction[];
}

/** What the CPU keeps of the last instructions it ran (`Cpu.recentInstructions()`). */
export interface RecentInstructionSource {
  readonly mode: Bits;
  recentInstructions(): Array<{ address: number; bytes: Uint8Array }>;
}

/** One instruction per line: `0x00401000  31 c0                 xor eax, eax`. */
export function formatListing(lines: readonly DisassembledInstruction[]): string {
  return lines
    .map((line) => {
      const bytes = Array.from(line.bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
      return `0x${hexAddress(line.address)}  ${bytes.padEnd(21)} ${line.text}`;
    })
    .join('\n');
}

/**
 * The listing of what ran last, oldest first: each executed instruction disassembled from its
 * bytes as they are now (code that rewrote itself shows its current form).
 */
export function executedListing(source: RecentInstructionSource, disassembler: Disassembler): DisassembledInstruction[] {
  const out: DisassembledInstruction[] = [];
  for (const { address, bytes } of source.recentInstructions()) {
    const decoded = bytes.length === 0 ? [] : disassembler.disassemble(bytes, address, source.mode);
    out.push(decoded[0] ?? { address, bytes, text: '(unreadable)' });
  }
  return out;
}

/** The stand-in without a decoder: every byte a `db`. */
export class RawBytesDisassembler implements Disassembler {
  disassemble(bytes: Uint8Array, address: number): DisassembledInstruction[] {
    return Array.from(bytes, (byte, index) => ({ address: address + index, bytes: bytes.subarray(index, index + 1), text: `db 0x${byte.toString(16).padStart(2, '0')}` }));
  }
}

/** Hex of an address; kernel addresses are negative numbers in the CPU (cpu/memory.ts), shown as their 64-bit value. */
function hexAddress(address: number): string {
  const value = address < 0 ? BigInt.asUintN(64, BigInt(Math.trunc(address))) : address;
  return value.toString(16).padStart(8, '0');
}
