/**
 * Every piece of attacker code the finder locates in the corpus runs in our CPU and in Unicorn,
 * one instruction at a time, from the same process image (see shellcode-differential.ts): the
 * first STEPS instructions of each in `npm test`, many more with CRASHTEST_DIFF_LONG=1. The MS17-010
 * kernel payloads run the same way in the emulated x64 kernel (windows-kernel/): Unicorn gets its
 * pages at their real upper-half addresses and the GS base; rdmsr/wrmsr/swapgs/cli/sti and the
 * kernel API stubs run only in ours, their effects copied into Unicorn. Skips,
 * saying why, without libunicorn2/koffi or without the corpus and tshark.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { EmulatedRun, profileShellcode } from '../../src/emulator/finder/profile-shellcode.ts';
import { corpusPayload, corpusShellcodes, skipWithoutCorpusShellcode, type CorpusShellcode } from '../helpers/corpus-shellcode.ts';
import { compareWholeRun } from './shellcode-differential.ts';
import { loadUnicorn } from './unicorn.ts';
import { WINDOWS_X64_CONNECT, WINDOWS_X86_CONNECT } from './windows/handwritten-shellcode.ts';
import { SEH_EGG_HUNTER, SEH_GET_PC } from './windows/seh-shellcode.ts';

const long = process.env.CRASHTEST_DIFF_LONG === '1';
const STEPS = long ? 2_000_000 : 20_000;
const loaded = loadUnicorn();
const noUnicorn = loaded.ok ? false : `whole-run differential skipped: ${loaded.reason}`;
const skip = noUnicorn || skipWithoutCorpusShellcode();
if (skip) console.log(`# corpus shellcode differential skipped: ${skip}`);

describe('hand-written shellcode agrees with Unicorn through hooks and exceptions', { skip: noUnicorn }, () => {
  for (const [name, bytes, placement, bits] of [
    ['block_api connect', WINDOWS_X86_CONNECT, 'region', 32],
    ['x64 gs:[0x60] connect', WINDOWS_X64_CONNECT, 'region', 64],
    ['SEH GetPC', SEH_GET_PC, 'stack', 32],
    ['SEH egg hunter', SEH_EGG_HUNTER, 'region', 32],
  ] as const) {
    it(name, () => {
      const run = new EmulatedRun({ bytes, offset: 0 }, { os: 'windows', bits }, { placement });
      const result = compareWholeRun(run, 50_000);
      assert.equal(result.disagreement, null, JSON.stringify(result.disagreement));
      assert.ok(result.environmentSteps > 0 && result.compared > 10, `${result.compared} compared, ${result.environmentSteps} process steps`);
    });
  }
});

/** The run the finder and profiler settle on for a payload, rebuilt fresh from its start. */
function bestRun(shellcode: CorpusShellcode): EmulatedRun {
  const profile = profileShellcode(shellcode.bytes, shellcode.profile);
  assert.ok(profile.trace && profile.candidate, `${shellcode.name}: the finder located no code that ran`);
  const trace = profile.trace;
  const attempt = profile.attempts.find((a) => a.offset === profile.candidate!.offset && a.os === trace.os && a.bits === trace.bits && a.endReason === trace.endReason);
  const options: ConstructorParameters<typeof EmulatedRun>[2] = { placement: attempt?.placement ?? 'region' };
  if (shellcode.profile.windows) options.windows = shellcode.profile.windows;
  if (shellcode.endpoint) options.endpoint = shellcode.endpoint;
  return new EmulatedRun(profile.candidate, { os: trace.os, bits: trace.bits }, options);
}

describe(`corpus shellcode agrees with Unicorn step by step (first ${STEPS} instructions each)`, { skip }, () => {
  let shellcodes: CorpusShellcode[] = [];
  before(() => {
    shellcodes = corpusShellcodes();
  });
  for (const name of ['tivoli-authorization', 'ms09-050-stager', 'slammer', 'dcom']) {
    it(name, () => {
      const shellcode = shellcodes.find((item) => item.name === name)!;
      const result = compareWholeRun(bestRun(shellcode), STEPS);
      console.log(`# ${name}: ${result.compared} instructions compared, ${result.environmentSteps} process steps, ended: ${result.ended}`);
      assert.equal(result.disagreement, null, JSON.stringify(result.disagreement));
      assert.ok(result.compared > 100, `${name}: only ${result.compared} instructions compared`);
    });
  }
});

describe(`MS17-010 kernel payloads agree with Unicorn step by step (first ${STEPS} instructions each)`, { skip }, () => {
  for (const [name, capture, privileged] of [
    ['EternalBlue (Windows 7)', 'ms17-010-eternalblue-success-win7.pcap', true],
    ['EternalRomance (2008 R2)', 'ms17-010-eternalromance-success-2008r2.pcap', false],
  ] as const) {
    it(name, () => {
      // the kernel entry the finder and profiler settle on (as windows-kernel/corpus.test.ts)
      const profile = profileShellcode(corpusPayload(capture, 'tcp.dstport == 445 && tcp.len > 0'));
      assert.ok(profile.candidate?.hints.kernel, `${name}: the finder located no kernel payload`);
      const run = new EmulatedRun(profile.candidate, { os: 'windows', bits: 64, kernel: true }, { placement: 'region' });
      const result = compareWholeRun(run, STEPS);
      console.log(`# ${name}: ${result.compared} instructions compared, ${result.environmentSteps} kernel steps ${JSON.stringify(result.environmentKinds)}, ended: ${result.ended}`);
      assert.equal(result.disagreement, null, JSON.stringify(result.disagreement));
      assert.ok(result.compared > 10_000, `${name}: only ${result.compared} instructions compared`);
      // EternalBlue's stage 0 reads and replaces IA32_LSTAR and swaps GS at once; EternalRomance's
      // payload has none, and in its first STEPS instructions still walks ntoskrnl's exports
      if (privileged) assert.ok((result.environmentKinds.privileged ?? 0) > 0, 'privileged instructions ran');
      if (long) {
        assert.equal(result.ended, 'exit in the process (hook)', 'the whole payload ran to its return');
        assert.ok((result.environmentKinds.hook ?? 0) > 0, 'kernel API stubs ran');
      }
    });
  }
});
