/**
 * The emulator's `Disassembler` on iced-x86 (Rust compiled to WebAssembly): Intel syntax, lower
 * case, `0x` hex, a space after commas. Holds one formatter in WebAssembly memory; `close()` frees
 * it, and use after close is an invalid-state error.
 */
import { Decoder, DecoderOptions, Formatter, FormatterSyntax } from 'iced-x86';
import { CrashtestError } from '../../core/index.ts';
import type { Bits, DisassembledInstruction, Disassembler } from '../../emulator/index.ts';

export class IcedDisassembler implements Disassembler {
  readonly capabilities = { bitness: [16, 32, 64] as const, syntax: 'intel' as const };
  private formatter: Formatter | null;

  constructor() {
    const formatter = new Formatter(FormatterSyntax.Intel);
    formatter.spaceAfterOperandSeparator = true;
    formatter.hexPrefix = '0x';
    formatter.hexSuffix = '';
    formatter.uppercaseHex = false;
    formatter.leadingZeros = false;
    formatter.branchLeadingZeros = false;
    this.formatter = formatter;
  }

  get closed(): boolean {
    return this.formatter === null;
  }

  disassemble(bytes: Uint8Array, address: number, bitness: Bits | 16): DisassembledInstruction[] {
    const formatter = this.formatter;
    if (formatter === null) throw new CrashtestError('CT_ERR_INVALID_STATE', 'IcedDisassembler used after close()');
    const decoder = new Decoder(bitness, bytes, DecoderOptions.None);
    decoder.ip = BigInt(address);
    const out: DisassembledInstruction[] = [];
    try {
      let offset = 0;
      while (decoder.canDecode) {
        const instruction = decoder.decode();
        const length = instruction.length;
        const text = instruction.isInvalid ? '(bad)' : formatter.format(instruction);
        instruction.free();
        out.push({ address: address + offset, bytes: bytes.subarray(offset, offset + length), text });
        offset += length;
      }
    } finally {
      decoder.free();
    }
    return out;
  }

  close(): void {
    this.formatter?.free();
    this.formatter = null;
  }

  destroy(): void {
    this.close();
  }
}
