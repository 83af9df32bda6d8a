import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegisterFileCpu } from '../../../src/emulator/behaviour/register-file-cpu.ts';
import { profileShellcode, runOnce } from '../../../src/emulator/finder/profile-shellcode.ts';
import { WindowsProcess } from '../../../src/emulator/windows/windows-process.ts';

function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = state >>> 16;
  }
  return out;
}

describe('profiling hostile code', () => {
  it('random bytes run in every environment and end inside their limits', () => {
    for (let seed = 1; seed <= 60; seed++) {
      for (const target of [{ os: 'windows', bits: 32 }, { os: 'windows', bits: 64 }, { os: 'linux', bits: 32 }, { os: 'linux', bits: 64 }] as const) {
        const trace = runOnce({ bytes: randomBytes(512, seed), offset: 0 }, target, 20_000, 1_000);
        assert.ok(trace.instructionCount <= 20_000);
        assert.ok(trace.endReason !== 'internal_error', `${target.os}/${target.bits} seed ${seed}: ${trace.endDetail}`);
      }
    }
  });

  it('an endless loop ends on the instruction limit', () => {
    const trace = runOnce({ bytes: Uint8Array.of(0xeb, 0xfe), offset: 0 }, { os: 'windows', bits: 32 }, 100_000, 1_000);
    assert.equal(trace.endReason, 'instruction_limit');
    assert.equal(trace.instructionCount, 100_000);
  });

  it('a VirtualAlloc memory bomb is refused past the process limit', () => {
    const cpu = new RegisterFileCpu(32);
    const process = new WindowsProcess(cpu, { virtualAllocLimitBytes: 8 * 1024 * 1024 });
    const stub = process.exportAddress('kernel32.dll', 'VirtualAlloc')!;
    let granted = 0;
    for (let i = 0; i < 100; i++) {
      const sp = process.initialStackPointer - 20;
      [0x401000, 0, 0x100000, 0x1000, 0x40].forEach((value, index) => cpu.memory.writeU32(sp + index * 4, value));
      cpu.setRegister('esp', BigInt(sp));
      process.handleHook(stub);
      if (cpu.getRegister('eax') !== 0n) granted++;
    }
    assert.equal(granted, 8);
  });

  it('the total budget bounds the work over all candidates', () => {
    const sleds = Uint8Array.from([...new Array(64).fill(0x90), 0xeb, 0xfe, ...new Array(64).fill(0x90), 0xeb, 0xfe]);
    const result = profileShellcode(sleds, { instructionsPerCandidate: 30_000, totalInstructions: 50_000 });
    assert.ok(result.instructionsUsed <= 50_000);
    assert.ok(result.attempts.length >= 2);
  });
});
