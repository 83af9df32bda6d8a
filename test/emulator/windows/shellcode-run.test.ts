import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScriptedEndpoint } from '../../../src/emulator/behaviour/network-endpoint.ts';
import { EmulatedRun, profileShellcode } from '../../../src/emulator/finder/profile-shellcode.ts';
import { WINDOWS_X64_CONNECT, WINDOWS_X86_CONNECT, WINDOWS_X86_EGG_HUNTER, WINDOWS_X86_STAGE, WINDOWS_X86_STAGER } from './handwritten-shellcode.ts';

describe('attacker code in the emulated Windows process', () => {
  it('x86 block_api-style code resolves by ROR13 hash and connects to 127.0.0.1:4444', () => {
    const result = profileShellcode(WINDOWS_X86_CONNECT);
    const trace = result.trace;
    assert.ok(trace, 'a run happened');
    assert.equal(trace.os, 'windows');
    assert.equal(trace.bits, 32);
    assert.deepEqual(
      trace.events.map((event) => event.summary),
      ['load ws2_32', 'winsock start', 'socket tcp', 'connect 127.0.0.1:4444', 'ExitProcess 0'],
    );
    const connect = trace.events.find((event) => event.api === 'ws2_32.connect')!;
    assert.equal(connect.args.address, '127.0.0.1');
    assert.equal(connect.args.port, 4444);
    assert.equal(trace.endReason, 'exit');
    assert.ok(trace.entryOffset <= 1, `entry at ${trace.entryOffset}`);
    assert.ok(trace.instructionCount > 1000);
  });

  it('x64 code walks gs:[0x60] and calls with the Microsoft x64 convention', () => {
    const result = profileShellcode(WINDOWS_X64_CONNECT, { targets: [{ os: 'windows', bits: 64 }] });
    const summaries = result.trace?.events.map((event) => event.summary);
    assert.deepEqual(summaries, ['load ws2_32', 'winsock start', 'socket tcp', 'connect 127.0.0.1:4444', 'ExitProcess 0']);
  });

  it('the finder alone picks the x64 code up from its gs:[0x60] access', () => {
    const result = profileShellcode(WINDOWS_X64_CONNECT);
    assert.equal(result.trace?.bits, 64);
    assert.ok(result.trace?.events.some((event) => event.summary === 'connect 127.0.0.1:4444'));
  });

  it('the connection goes through the pluggable endpoint', () => {
    const endpoints: ScriptedEndpoint[] = [];
    profileShellcode(WINDOWS_X86_CONNECT, {
      endpoint: () => {
        const endpoint = new ScriptedEndpoint({ refuseConnect: true });
        endpoints.push(endpoint);
        return endpoint;
      },
    });
    assert.deepEqual(endpoints[0]!.transcript.connects, [{ socket: endpoints[0]!.transcript.connects[0]!.socket, address: '127.0.0.1', port: 4444 }]);
  });

  it('a stager receives its stage from a scripted endpoint and the stage runs', () => {
    const result = profileShellcode(WINDOWS_X86_STAGER, { endpoint: () => new ScriptedEndpoint({ incoming: [WINDOWS_X86_STAGE] }) });
    const summaries = result.trace?.events.map((event) => event.summary) ?? [];
    assert.deepEqual(summaries.slice(3), [
      'connect 127.0.0.1:4444',
      'alloc 4096 bytes RWX at 0x1000000',
      `recv ${WINDOWS_X86_STAGE.length} bytes from 127.0.0.1:4444`,
      'exec cmd.exe /c echo stage ran',
      'ExitProcess 0',
    ]);
  });

  it('a receive with no data yet stops the run as blocked, on the recv stub', () => {
    const result = profileShellcode(WINDOWS_X86_STAGER, { endpoint: () => new ScriptedEndpoint({ whenEmpty: 'would_block' }) });
    assert.equal(result.trace?.endReason, 'blocked');
    assert.match(result.trace?.endDetail ?? '', /ws2_32\.recv/);
  });

  it('a blocked stager resumes when its stage arrives', () => {
    const endpoint = new ScriptedEndpoint({ whenEmpty: 'would_block' });
    const run = new EmulatedRun({ bytes: WINDOWS_X86_STAGER, offset: 0 }, { os: 'windows', bits: 32 }, { endpoint: () => endpoint });
    const waiting = run.resume(1_000_000, 2_000);
    assert.equal(waiting.endReason, 'blocked');
    endpoint.deliver(WINDOWS_X86_STAGE);
    const done = run.resume(1_000_000, 2_000);
    assert.equal(done.endReason, 'exit');
    assert.deepEqual(done.events.map((event) => event.summary).slice(-3), [
      `recv ${WINDOWS_X86_STAGE.length} bytes from 127.0.0.1:4444`,
      'exec cmd.exe /c echo stage ran',
      'ExitProcess 0',
    ]);
  });

  it('an egg hunter probes unmapped pages through int 0x2e and finds its egg', () => {
    const bytes = new Uint8Array(0x1000 + 8 + WINDOWS_X86_CONNECT.length);
    bytes.set(WINDOWS_X86_EGG_HUNTER);
    bytes.set(new TextEncoder().encode('w00tw00t'), 0x1000);
    bytes.set(WINDOWS_X86_CONNECT, 0x1008);
    const run = new EmulatedRun({ bytes, offset: 2 }, { os: 'windows', bits: 32 });
    const code = Number(run.guest.getRegister('eip')) - 2;
    // start the search 64 pages below the code, where nothing is mapped
    run.guest.setRegister('edx', BigInt(code - 0x40000));
    const trace = run.resume(2_000_000, 5_000);
    const shown = trace.events.map((event) => event.summary);
    assert.equal(shown[0], 'native syscall 0x2 via int2e');
    assert.ok(shown.includes('connect 127.0.0.1:4444'), shown.join('\n'));
  });
});
