/**
 * A kernel payload's implant is what outlives its run, found by behaviour: a pointer in a loaded
 * driver's data redirected to code outside every image, a driver's code patched, user-mode code
 * queued into a process. A payload that changes nothing lasting, or undoes its change before it
 * returns, installs nothing; on a dummy the first is `compromised`, the second only `exploited`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingEndpoint } from '../../../src/emulator/behaviour/network-endpoint.ts';
import { Cpu, Memory } from '../../../src/emulator/cpu/index.ts';
import { EmulatedHost } from '../../../src/emulator/host/emulated-host.ts';
import { KAPC, kernelImplantOf, WindowsKernel } from '../../../src/emulator/windows-kernel/index.ts';
import { defaultCatalogue, type Observation } from '../../../src/sandbox/index.ts';
import { judge } from '../../../src/verdict/index.ts';
import { KERNEL_X64_ALLOCATE } from './handwritten-kernel-shellcode.ts';
import { KERNEL_X64_CODE_PATCH, KERNEL_X64_POINTER_HOOK, KERNEL_X64_TRANSIENT_HOOK } from './implant-shellcode.ts';

function runKernel(code: Uint8Array): { kernel: WindowsKernel; base: number; implants: ReturnType<typeof kernelImplantOf>[] } {
  const cpu = new Cpu({ mode: 64, memory: new Memory({ maxMappedBytes: 128 << 20 }) });
  const kernel = new WindowsKernel(cpu);
  cpu.environment = kernel.environment();
  const base = kernel.loadCode(code);
  kernel.prepareThread(base);
  const result = cpu.run({ maxInstructions: 100_000 });
  assert.equal(result.reason, 'exit', result.detail);
  kernel.inspectImplants();
  return { kernel, base, implants: kernel.trace.events.map(kernelImplantOf).filter((implant) => implant !== null) };
}

describe('kernel implants, by what outlives the payload', () => {
  it('a pointer in a loaded driver redirected to the payload\'s own code is a pointer hook', () => {
    const { implants, kernel, base } = runKernel(KERNEL_X64_POINTER_HOOK);
    assert.equal(implants.length, 1, JSON.stringify(implants));
    assert.equal(implants[0]!.mechanism, 'pointer_hook');
    assert.match(implants[0]!.name, /^srvnet\.sys\+0x[0-9a-f]+$/);
    const event = kernel.trace.events.find((seen) => seen.api === 'kernel.implant')!;
    assert.equal(event.args.inputOffset, KERNEL_X64_POINTER_HOOK.length - 1, 'the hook is the payload\'s last byte');
    assert.ok(kernel.isForeignCode(base), 'pool code belongs to no image');
  });

  it('a patch of a loaded driver\'s code is an implant', () => {
    const { implants } = runKernel(KERNEL_X64_CODE_PATCH);
    assert.deepEqual(implants.map((implant) => implant!.mechanism), ['code_patch']);
    assert.match(implants[0]!.name, /^srvnet\.sys\+0x[0-9a-f]+$/);
  });

  it('a hook written and put back before the payload returns is none', () => {
    assert.deepEqual(runKernel(KERNEL_X64_TRANSIENT_HOOK).implants, []);
  });

  it('a payload that only allocates pool installs nothing', () => {
    assert.deepEqual(runKernel(KERNEL_X64_ALLOCATE).implants, []);
  });

  it('user-mode code queued into a process by APC is an implant; a kernel-mode APC is not', () => {
    const cpu = new Cpu({ mode: 64, memory: new Memory({ maxMappedBytes: 128 << 20 }) });
    const kernel = new WindowsKernel(cpu);
    const lsass = kernel.processById(504)!;
    assert.ok(lsass);
    const thread = kernel.threadById(508)!;
    const routine = kernel.allocateUser(0x1000);
    for (const mode of [0, 1]) {
      const apc = kernel.allocatePool(KAPC.Length);
      kernel.memory.setU64(apc + KAPC.Thread, thread);
      kernel.memory.setU64(apc + KAPC.NormalRoutine, routine);
      kernel.memory.setU8(apc + KAPC.ApcMode, mode);
      kernel.queueApc(apc, 0, 0);
    }
    const implants = kernel.trace.events.map(kernelImplantOf).filter((implant) => implant !== null);
    assert.deepEqual(implants.map((implant) => [implant!.mechanism, implant!.name]), [['user_apc', 'user-mode APC into lsass.exe']]);
  });
});

describe('on a dummy: an implant is compromised, a payload with no lasting effect is not', () => {
  const profile = defaultCatalogue().get('win-7-sp1-x64');
  const run = (code: Uint8Array): { host: EmulatedHost; observations: Observation[] } => {
    const host = new EmulatedHost({ profile, address: '10.0.0.7', network: () => new RecordingEndpoint() });
    host.runCode(code, { service: 'smb', vulnerability: 'MS17-010', os: 'windows', bits: 64, kernel: true, offsets: [0] });
    return { host, observations: host.observations.map((observation) => ({ source: 'dummy' as const, observation })) };
  };

  it('a pointer hook becomes an implant observation, kept in the host state until reset, and judged compromised', () => {
    const { host, observations } = run(KERNEL_X64_POINTER_HOOK);
    const implant = host.observations.find((observation) => observation.kind === 'implant');
    assert.ok(implant && implant.kind === 'implant', JSON.stringify(host.observations.map((observation) => observation.kind)));
    assert.equal(implant.mechanism, 'pointer_hook');
    assert.ok(host.state.implants.has(implant.name));
    const judgement = judge(observations);
    assert.equal(judgement.level, 'compromised');
    assert.ok(judgement.evidence.some((item) => item.kind === 'implant' && item.mechanism === 'pointer_hook' && item.name === implant.name));
    host.reset();
    assert.equal(host.state.implants.size, 0);
  });

  it('kernel code that only allocates pool ran (exploited) but installed nothing (not compromised)', () => {
    const { host, observations } = run(KERNEL_X64_ALLOCATE);
    assert.ok(host.observations.some((observation) => observation.kind === 'code'), 'the code ran');
    assert.equal(host.observations.filter((observation) => observation.kind === 'implant').length, 0);
    assert.equal(host.state.implants.size, 0);
    assert.equal(judge(observations).level, 'exploited');
  });
});
