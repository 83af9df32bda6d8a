/**
 * Structured exception handling in the emulated 32-bit Windows process: attacker code that finds
 * itself or hunts for its egg through access violations (seh-shellcode.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmulatedRun } from '../../../src/emulator/finder/profile-shellcode.ts';
import { SEH_EGG_HUNTER, SEH_GET_PC } from './seh-shellcode.ts';

describe('structured exceptions in the Windows process', () => {
  it('SEH GetPC: the handler reads the faulting address from the CONTEXT and resumes past it', () => {
    const run = new EmulatedRun({ bytes: SEH_GET_PC, offset: 0 }, { os: 'windows', bits: 32 }, { placement: 'stack' });
    const trace = run.resume(10_000, 1_000);
    assert.equal(trace.endReason, 'hlt', trace.endDetail);
    // hlt (at 0x33) leaves eip after itself
    const start = Number(run.guest.getRegister('eip')) - 0x34;
    assert.equal(Number(run.guest.getRegister('eax')), start + 0x31, 'eax holds the address of the faulting instruction');
    const exception = trace.events.find((event) => event.api === 'nt.exception');
    assert.ok(exception, trace.events.map((event) => event.summary).join('\n'));
    assert.equal(exception.args.code, 0xc0000005);
    assert.equal(exception.args.address, start + 0x31);
  });

  it('an SEH egg hunter walks unmapped pages on access violations and runs what follows its egg', () => {
    const run = new EmulatedRun({ bytes: SEH_EGG_HUNTER, offset: 0 }, { os: 'windows', bits: 32 });
    const trace = run.resume(2_000_000, 5_000);
    assert.equal(trace.endReason, 'hlt', trace.endDetail);
    assert.equal(Number(run.guest.getRegister('eax')), 0x600d);
    assert.equal(trace.events.filter((event) => event.api === 'nt.exception').length, 4, 'the first few exceptions are in the trace');
  });

  it('a fault with no handler of the code’s own ends the run as a fault', () => {
    const run = new EmulatedRun({ bytes: Uint8Array.of(0x31, 0xc0, 0x89, 0x00), offset: 0 }, { os: 'windows', bits: 32 });
    const trace = run.resume(1_000, 1_000);
    assert.equal(trace.endReason, 'fault');
    assert.ok(!trace.events.some((event) => event.api === 'nt.exception'));
  });

  it('a handler that passes the exception on, with no other handler, ends the run as unhandled', () => {
    // push handler (xor eax,eax; inc eax; ret = ContinueSearch) via call/pop, install, fault
    const bytes = Uint8Array.from([
      0xeb, 0x04, //             0  jmp 6
      0x31, 0xc0, //             2  xor eax,eax   (handler)
      0x40, //                   4  inc eax
      0xc3, //                   5  ret
      0xe8, 0, 0, 0, 0, //       6  call 0xb
      0x5b, //                   b  pop ebx
      0x83, 0xeb, 0x09, //       c  sub ebx,9
      0x53, //                   f  push ebx
      0x6a, 0xff, //            10  push -1
      0x64, 0x89, 0x25, 0, 0, 0, 0, // 12  mov fs:[0],esp
      0x31, 0xc0, //            19  xor eax,eax
      0x89, 0x00, //            1b  mov [eax],eax
    ]);
    const trace = new EmulatedRun({ bytes, offset: 0 }, { os: 'windows', bits: 32 }).resume(1_000, 1_000);
    assert.equal(trace.endReason, 'unhandled_exception', trace.endDetail);
  });
});
