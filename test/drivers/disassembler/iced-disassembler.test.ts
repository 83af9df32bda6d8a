/**
 * The disassembler behind the emulator's `Disassembler` interface: one conformance suite that every
 * implementation runs (the iced-x86 driver and the raw-bytes stand-in), and the iced listing of
 * what the CPU ran, read back as text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IcedDisassembler } from '../../../src/drivers/index.ts';
import { executedListing, formatListing, RawBytesDisassembler, type Disassembler } from '../../../src/emulator/index.ts';
import { profileShellcode } from '../../../src/emulator/index.ts';
import { CODE_32, makeCpu } from '../../emulator/harness.ts';
import { WINDOWS_X86_CONNECT } from '../../emulator/windows/handwritten-shellcode.ts';

const IMPLEMENTATIONS: Array<[string, () => Disassembler & { close?: () => void }]> = [
  ['IcedDisassembler', () => new IcedDisassembler()],
  ['RawBytesDisassembler', () => new RawBytesDisassembler()],
];

for (const [name, create] of IMPLEMENTATIONS) {
  describe(`Disassembler conformance: ${name}`, () => {
    it('covers every byte once, in order, from the given address', () => {
      const disassembler = create();
      const bytes = Uint8Array.of(0x31, 0xc0, 0xe8, 0, 0, 0, 0, 0x59, 0xc3);
      const lines = disassembler.disassemble(bytes, 0x401000, 32);
      let address = 0x401000;
      for (const line of lines) {
        assert.equal(line.address, address);
        assert.ok(line.bytes.length > 0 && line.text.length > 0);
        address += line.bytes.length;
      }
      assert.equal(address, 0x401000 + bytes.length);
      disassembler.close?.();
    });

    it('never throws on bytes that do not decode, nor on a truncated instruction', () => {
      const disassembler = create();
      for (const bytes of [Uint8Array.of(0x0f, 0x0b, 0x0f, 0xff), Uint8Array.of(0xe8, 0x01), new Uint8Array(0)]) {
        for (const bitness of [32, 64] as const) assert.doesNotThrow(() => disassembler.disassemble(bytes, 0x1000, bitness));
      }
      disassembler.close?.();
    });
  });
}

describe('IcedDisassembler', () => {
  it('reads a known sequence as Intel syntax', () => {
    const disassembler = new IcedDisassembler();
    const lines = disassembler.disassemble(Uint8Array.of(0x31, 0xc0, 0xe8, 0, 0, 0, 0, 0x59, 0x64, 0x8b, 0x52, 0x30, 0xc3), 0x401000, 32);
    assert.deepEqual(
      lines.map((line) => line.text),
      ['xor eax, eax', 'call 0x401007', 'pop ecx', 'mov edx, fs:[edx+0x30]', 'ret'],
    );
    assert.deepEqual(disassembler.disassemble(Uint8Array.of(0x65, 0x48, 0x8b, 0x04, 0x25, 0x60, 0, 0, 0), 0x140001000, 64)[0]!.text, 'mov rax, gs:[0x60]');
    disassembler.close();
  });

  it('lists what the CPU ran from its recent-instruction ring, a GetPC and all', () => {
    // xor eax, eax; call +0; pop ecx; inc eax; hlt
    const cpu = makeCpu([0x31, 0xc0, 0xe8, 0, 0, 0, 0, 0x59, 0x40, 0xf4], { traceSize: 16 });
    assert.equal(cpu.run().reason, 'hlt');
    const disassembler = new IcedDisassembler();
    const listing = executedListing(cpu, disassembler);
    assert.deepEqual(
      listing.map((line) => line.text),
      ['xor eax, eax', `call 0x${(CODE_32 + 7).toString(16)}`, 'pop ecx', 'inc eax', 'hlt'],
    );
    const text = formatListing(listing);
    assert.match(text.split('\n')[1]!, /^0x00401002 {2}e8 00 00 00 00 +call 0x401007$/);
    disassembler.close();
  });

  it('puts the listing of the last instructions into a profiled trace', () => {
    const disassembler = new IcedDisassembler();
    const result = profileShellcode(WINDOWS_X86_CONNECT, { disassembler, listingLength: 16 });
    const listing = result.trace!.listing!;
    assert.equal(listing.length, 16);
    // the resolver's tail jump into ExitProcess, then the API's first instruction (where the hook ran)
    assert.match(listing[listing.length - 2]!, /ff e0 +jmp eax$/);
    assert.match(listing[listing.length - 1]!, /mov edi, edi$/);
    disassembler.close();
  });

  it('is closed once, idempotently, and refuses use after close', () => {
    const disassembler = new IcedDisassembler();
    disassembler.close();
    disassembler.close();
    assert.equal(disassembler.closed, true);
    assert.throws(() => disassembler.disassemble(Uint8Array.of(0x90), 0, 32), { code: 'CT_ERR_INVALID_STATE' });
  });
});
