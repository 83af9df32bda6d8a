/**
 * A Windows process on a register-file CPU, plus a way to call one of its exports as compiled code
 * would (shared by the API hook tests).
 */
import assert from 'node:assert/strict';
import { writePointer, type Bits } from '../../../src/emulator/behaviour/guest.ts';
import { ScriptedEndpoint } from '../../../src/emulator/behaviour/network-endpoint.ts';
import { RegisterFileCpu } from '../../../src/emulator/behaviour/register-file-cpu.ts';
import { WindowsProcess } from '../../../src/emulator/windows/windows-process.ts';

export const RETURN_ADDRESS = 0x00401234;

/** A process, plus a way to call one of its exports as compiled code would. */
export function harness(bits: Bits, endpoint = new ScriptedEndpoint()) {
  const cpu = new RegisterFileCpu(bits);
  const process = new WindowsProcess(cpu, { endpoint });
  const scratch = process.heap.allocate(0x4000);
  let scratchNext = scratch;
  const put = (bytes: Uint8Array): number => {
    const address = scratchNext;
    cpu.memory.write(address, bytes);
    scratchNext += (bytes.length + 15) & ~15;
    return address;
  };
  /** stdcall/cdecl on x86 (arguments pushed right to left), rcx/rdx/r8/r9 + stack above shadow space on x64 */
  /** `popped`: bytes the callee took off the stack, return address included */
  const call = (dll: string, name: string, args: number[]): { value: bigint; popped: number } => {
    const pointer = bits / 8;
    let sp = process.initialStackPointer;
    const stackArgs = bits === 64 ? args.slice(4) : args;
    for (let i = stackArgs.length - 1; i >= 0; i--) {
      sp -= pointer;
      writePointer(cpu.memory, bits, sp, stackArgs[i]!);
    }
    if (bits === 64) {
      sp -= 0x20; // shadow space
      (['rcx', 'rdx', 'r8', 'r9'] as const).forEach((register, index) => cpu.setRegister(register, BigInt(args[index] ?? 0)));
    }
    sp -= pointer;
    writePointer(cpu.memory, bits, sp, RETURN_ADDRESS);
    cpu.setRegister(bits === 64 ? 'rsp' : 'esp', BigInt(sp));
    const address = process.exportAddress(dll, name);
    assert.ok(address, `${dll}!${name} exists`);
    assert.ok(process.handleHook(address));
    assert.equal(Number(cpu.getRegister(bits === 64 ? 'rip' : 'eip')), RETURN_ADDRESS);
    return { value: cpu.getRegister(bits === 64 ? 'rax' : 'eax'), popped: Number(cpu.getRegister(bits === 64 ? 'rsp' : 'esp')) - sp };
  };
  const sockaddr = (address: number[], port: number): number => put(Uint8Array.from([2, 0, port >> 8, port & 0xff, ...address, 0, 0, 0, 0, 0, 0, 0, 0]));
  return { cpu, process, call, put, sockaddr, endpoint };
}
