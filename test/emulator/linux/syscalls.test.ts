import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCString } from '../../../src/emulator/behaviour/guest.ts';
import { ScriptedEndpoint } from '../../../src/emulator/behaviour/network-endpoint.ts';
import { RegisterFileCpu } from '../../../src/emulator/behaviour/register-file-cpu.ts';
import { profileShellcode } from '../../../src/emulator/finder/profile-shellcode.ts';
import { LinuxProcess } from '../../../src/emulator/linux/linux-process.ts';
import { LINUX_I386_CONNECT_BACK, LINUX_X64_CONNECT_BACK } from './handwritten-shellcode.ts';

const CONNECT_BACK_SHELL = [
  'socket tcp',
  'connect 127.0.0.1:4444',
  'dup2 socket 127.0.0.1:4444 -> stderr',
  'dup2 socket 127.0.0.1:4444 -> stdout',
  'dup2 socket 127.0.0.1:4444 -> stdin',
];

describe('Linux system calls', () => {
  it('i386 socketcall connect-back: socket, connect, dup2, execve /bin//sh', () => {
    const result = profileShellcode(LINUX_I386_CONNECT_BACK, { offsets: [0], targets: [{ os: 'linux', bits: 32 }] });
    const trace = result.trace!;
    assert.deepEqual(trace.events.map((event) => event.summary), [...CONNECT_BACK_SHELL, 'exec /bin//sh (stdio: socket 127.0.0.1:4444)']);
    assert.equal(trace.events[1]!.api, 'linux.socketcall.connect');
    assert.deepEqual(trace.events.at(-1)!.args.argv, ['/bin//sh']);
    assert.equal(trace.endReason, 'exit');
  });

  it('x86-64 syscall connect-back decodes rdi/rsi/rdx', () => {
    const result = profileShellcode(LINUX_X64_CONNECT_BACK, { offsets: [0], targets: [{ os: 'linux', bits: 64 }] });
    assert.deepEqual(result.trace!.events.map((event) => event.summary), [...CONNECT_BACK_SHELL, 'exec //bin/sh (stdio: socket 127.0.0.1:4444)']);
    assert.equal(result.trace!.events[1]!.api, 'linux.connect');
  });

  it('behind a NOP sled, the finder locates the code and the hints choose Linux', () => {
    const padded = Uint8Array.from([...new Uint8Array(40).fill(0x90), ...LINUX_I386_CONNECT_BACK]);
    const result = profileShellcode(padded);
    assert.equal(result.trace?.os, 'linux');
    assert.ok(result.trace!.events.some((event) => event.summary === 'connect 127.0.0.1:4444'));
  });

  it('socketcall arguments come from the array ecx points at', () => {
    const cpu = new RegisterFileCpu(32);
    const endpoint = new ScriptedEndpoint({ incoming: [encodeCString('id')] });
    const process = new LinuxProcess(cpu, { endpoint });
    const args = process.initialStackPointer - 0x100;
    const syscall = (eax: number, ebx: number, ecx: number, edx = 0): number => {
      cpu.setRegister('eax', BigInt(eax));
      cpu.setRegister('ebx', BigInt(ebx));
      cpu.setRegister('ecx', BigInt(ecx));
      cpu.setRegister('edx', BigInt(edx));
      process.handleSyscall('int80');
      return Number(BigInt.asIntN(32, cpu.getRegister('eax')));
    };
    cpu.memory.write(args, Uint8Array.from([2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]));
    const fd = syscall(102, 1, args);
    assert.equal(fd, 3);
    const sockaddr = args + 0x40;
    cpu.memory.write(sockaddr, Uint8Array.from([2, 0, 0x1f, 0x90, 0, 0, 0, 0]));
    const words = new DataView(new ArrayBuffer(12));
    words.setUint32(0, fd, true);
    words.setUint32(4, sockaddr, true);
    words.setUint32(8, 16, true);
    cpu.memory.write(args, new Uint8Array(words.buffer));
    assert.equal(syscall(102, 2, args), 0); // bind
    words.setUint32(4, 1, true);
    cpu.memory.write(args, new Uint8Array(words.buffer));
    assert.equal(syscall(102, 4, args), 0); // listen
    words.setUint32(4, 0, true);
    words.setUint32(8, 0, true);
    cpu.memory.write(args, new Uint8Array(words.buffer));
    const client = syscall(102, 5, args); // accept
    assert.equal(client, 4);
    const buffer = args + 0x80;
    assert.equal(syscall(3, client, buffer, 100), 3); // read
    assert.deepEqual([...cpu.memory.read(buffer, 2)], [0x69, 0x64]);
    assert.equal(syscall(999, 0, 0), -38, 'unknown calls answer -ENOSYS');
    assert.deepEqual(process.trace.summaries().slice(0, 5), [
      'socket tcp',
      'bind 0.0.0.0:8080',
      'listen 0.0.0.0:8080',
      'accept on 0.0.0.0:8080 from 10.13.37.200:49152',
      'recv 3 bytes from 10.13.37.200:49152',
    ]);
  });

  it('mmap2 and mprotect map real guest memory; exit_group stops', () => {
    const cpu = new RegisterFileCpu(32);
    const process = new LinuxProcess(cpu);
    const call = (eax: number, ...args: number[]): number => {
      cpu.setRegister('eax', BigInt(eax));
      (['ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp'] as const).forEach((register, index) => cpu.setRegister(register, BigInt(args[index] ?? 0)));
      process.handleSyscall('int80');
      return Number(BigInt.asIntN(32, cpu.getRegister('eax')));
    };
    const address = call(192, 0, 0x2000, 7, 0x22, -1 >>> 0, 0);
    assert.ok(address > 0 && cpu.memory.isMapped(address, 0x2000));
    assert.equal(call(125, address, 0x1000, 5), 0);
    call(252, 3);
    assert.equal(cpu.stopped?.reason, 'exit');
    assert.equal(cpu.stopped?.exitCode, 3);
  });
});
