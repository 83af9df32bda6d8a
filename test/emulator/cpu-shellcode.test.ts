import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Memory, PERM_RWX, type Cpu, type SyscallKind } from '../../src/emulator/cpu/index.ts';
import { CODE_32, CODE_64, DATA, makeCpu, reg, regBig, run, STACK_TOP } from './harness.ts';

function le32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
}

describe('GetPC', () => {
  test('call $+5; pop eax', () => {
    const { cpu } = run([0xe8, 0, 0, 0, 0, 0x58]);
    assert.equal(reg(cpu, 'rax'), CODE_32 + 5);
  });
  test('call/pop in 64-bit mode', () => {
    const { cpu } = run([0xe8, 0, 0, 0, 0, 0x58], { mode: 64 });
    assert.equal(reg(cpu, 'rax'), CODE_64 + 5);
  });
  test('fldz; fnstenv [esp-0xc]; pop eax gives the address of fldz', () => {
    const { cpu } = run([0x90, 0xd9, 0xee, 0xd9, 0x74, 0x24, 0xf4, 0x58]);
    assert.equal(reg(cpu, 'rax'), CODE_32 + 1);
  });
  test('the FPU instruction pointer is the last non-control x87 instruction', () => {
    // fldpi; fnstcw [esp-4] (control: no update); fxch st1 (updates); fnstenv [esp-0xc]; pop eax
    const { cpu } = run([0xd9, 0xeb, 0xd9, 0x7c, 0x24, 0xfc, 0xd9, 0xc9, 0xd9, 0x74, 0x24, 0xf4, 0x58]);
    assert.equal(reg(cpu, 'rax'), CODE_32 + 6);
  });
  test('fnsave and fxsave hold the instruction pointer too', () => {
    // fld1; fnsave [esp-0xc]; pop eax
    assert.equal(reg(run([0xd9, 0xe8, 0xdd, 0x74, 0x24, 0xf4, 0x58]).cpu, 'rax'), CODE_32);
    // fldz; fxsave [ebx]; mov eax, [ebx+8]
    const { cpu } = run([0xd9, 0xee, 0x0f, 0xae, 0x03, 0x8b, 0x43, 0x08], { registers: { rbx: DATA } });
    assert.equal(reg(cpu, 'rax'), CODE_32);
  });
  test('jmp / call / pop', () => {
    // jmp +4; pop esi; hlt; nop; nop; call -9; (data follows)
    const { cpu, result } = run([0xeb, 0x04, 0x5e, 0xf4, 0x90, 0x90, 0xe8, 0xf7, 0xff, 0xff, 0xff, 0x41]);
    assert.equal(result.reason, 'hlt');
    assert.equal(reg(cpu, 'rsi'), CODE_32 + 11);
  });
});

/** The payload both decoders unpack: mov eax, 0x1337; hlt; nop; nop */
const PAYLOAD = [0xb8, 0x37, 0x13, 0, 0, 0xf4, 0x90, 0x90];

describe('XOR decoder loops', () => {
  test('byte XOR with jmp/call/pop', () => {
    const key = 0xaa;
    const encoded = PAYLOAD.map((b) => b ^ key);
    const stub = [
      0xeb, 0x0d, // jmp call_site
      0x5e, // pop esi
      0x31, 0xc9, // xor ecx, ecx
      0xb1, encoded.length, // mov cl, len
      0x80, 0x36, key, // xor byte [esi], key
      0x46, // inc esi
      0xe2, 0xfa, // loop
      0xeb, 0x05, // jmp payload
      0xe8, 0xee, 0xff, 0xff, 0xff, // call pop_esi
    ];
    const cpu = makeCpu([...stub, ...encoded]);
    const result = cpu.run({ maxInstructions: 1000 });
    assert.equal(result.reason, 'hlt');
    assert.equal(reg(cpu, 'rax'), 0x1337);
    assert.deepEqual(Array.from(cpu.memory.readBytes(CODE_32 + stub.length, PAYLOAD.length)!), PAYLOAD);
  });
  test('dword XOR with fnstenv GetPC', () => {
    const key = 0xdeadbeef;
    const encoded: number[] = [];
    for (let k = 0; k < PAYLOAD.length; k += 4) {
      const word = (PAYLOAD[k]! | (PAYLOAD[k + 1]! << 8) | (PAYLOAD[k + 2]! << 16) | (PAYLOAD[k + 3]! << 24)) ^ key;
      encoded.push(...le32(word >>> 0));
    }
    const stub = [
      0xd9, 0xee, // fldz
      0xd9, 0x74, 0x24, 0xf4, // fnstenv [esp-0xc]
      0x5b, // pop ebx
      0x31, 0xc9, // xor ecx, ecx
      0xb1, encoded.length / 4, // mov cl, dwords
      0x81, 0x73, 0x17, ...le32(key), // xor dword [ebx+0x17], key
      0x83, 0xc3, 0x04, // add ebx, 4
      0xe2, 0xf4, // loop
    ];
    assert.equal(stub.length, 0x17);
    const cpu = makeCpu([...stub, ...encoded]);
    const result = cpu.run({ maxInstructions: 1000 });
    assert.equal(result.reason, 'hlt');
    assert.equal(reg(cpu, 'rax'), 0x1337);
  });
});

describe('API hashing', () => {
  test('a ROR13 function-name hash loop over "WinExec" matches the same hash computed here', () => {
    const name = new TextEncoder().encode('WinExec\0');
    let expected = 0;
    for (const byte of name) expected = (((expected >>> 13) | (expected << 19)) + byte) >>> 0;
    // xor edi, edi; xor eax, eax; L: lodsb; ror edi, 13; add edi, eax; cmp al, ah; jne L
    const code = [0x31, 0xff, 0x31, 0xc0, 0xac, 0xc1, 0xcf, 0x0d, 0x01, 0xc7, 0x38, 0xe0, 0x75, 0xf6];
    const { cpu } = run(code, { registers: { rsi: DATA }, data: name });
    assert.equal(reg(cpu, 'rdi'), expected);
  });
});

describe('self-modifying code', () => {
  test('a patched immediate is seen on the next pass through the loop', () => {
    const target = CODE_32 + 6; // the imm32 of mov eax, 1
    const code = [
      0xb9, 2, 0, 0, 0, // mov ecx, 2
      0xb8, 1, 0, 0, 0, // L: mov eax, 1
      0x01, 0xc2, // add edx, eax
      0xc6, 0x05, ...le32(target), 0x02, // mov byte [target], 2
      0xe2, 0xf0, // loop L
    ];
    const { cpu, result } = run(code, { registers: { rdx: 0 } });
    assert.equal(result.reason, 'hlt');
    assert.equal(reg(cpu, 'rdx'), 3);
  });
  test('patching the very next instruction takes effect', () => {
    const next = CODE_32 + 7;
    // mov byte [next+1], 0x42; mov eax, 0x11
    const { cpu } = run([0xc6, 0x05, ...le32(next + 1), 0x42, 0xb8, 0x11, 0, 0, 0]);
    assert.equal(reg(cpu, 'rax'), 0x42);
  });
  test('patching the tail of an instruction that crosses into the next page', () => {
    // mov eax, imm32 at the last 3 bytes of a page: its immediate ends in the next page
    const memory = new Memory();
    memory.map(0x10000, 0x2000, PERM_RWX);
    const start = 0x10ffd;
    // (start:) mov eax, 0x01010101; mov byte [0x11001], 7 (hits the 4th byte of the imm); dec ecx; jnz start; hlt
    memory.writeBytes(start, Uint8Array.from([0xb8, 1, 1, 1, 1, 0xc6, 0x05, ...le32(0x11001), 7, 0x49, 0x75, 0xf1, 0xf4]));
    const cpu = makeCpu([0xf4], { memory, registers: { rcx: 2 } });
    cpu.ip = start;
    assert.equal(cpu.run().reason, 'hlt');
    assert.equal(reg(cpu, 'rax'), 0x07010101);
  });
  test('a write through the environment helper also drops decoded code', () => {
    const cpu = makeCpu([0xb8, 1, 0, 0, 0, 0xf4]);
    assert.equal(cpu.run().reason, 'hlt');
    cpu.memory.writeBytes(CODE_32 + 1, Uint8Array.from([9]));
    cpu.ip = CODE_32;
    cpu.run();
    assert.equal(reg(cpu, 'rax'), 9);
  });
});

describe('syscalls, hooks and interrupts', () => {
  test('int 0x80 exit(42) on Linux i386', () => {
    const kinds: SyscallKind[] = [];
    const environment = {
      onSyscall(cpu: Cpu, kind: SyscallKind) {
        kinds.push(kind);
        if (cpu.lo[0] === 1) cpu.stop('exit', 'exit', cpu.lo[3]);
      },
    };
    const { result } = run([0xb8, 1, 0, 0, 0, 0xbb, 42, 0, 0, 0, 0xcd, 0x80, 0xcc], { environment });
    assert.equal(result.reason, 'exit');
    assert.equal(result.exitCode, 42);
    assert.equal(result.instructions, 3);
    assert.deepEqual(kinds, ['int80']);
  });
  test('syscall, sysenter and int 0x2e reach the handler with ip past the instruction', () => {
    const seen: Array<[SyscallKind, number]> = [];
    const environment = { onSyscall: (cpu: Cpu, kind: SyscallKind) => void seen.push([kind, cpu.ip]) };
    const { result } = run([0x0f, 0x05, 0x0f, 0x34, 0xcd, 0x2e], { mode: 64, environment });
    assert.equal(result.reason, 'hlt');
    assert.deepEqual(seen, [
      ['syscall', CODE_64 + 2],
      ['sysenter', CODE_64 + 4],
      ['int2e', CODE_64 + 6],
    ]);
  });
  test('a hooked API is emulated by the environment (stdcall)', () => {
    const api = 0x7c801000;
    const calls: number[] = [];
    const environment = {
      onHook(cpu: Cpu, address: number) {
        assert.equal(address, api);
        const esp = cpu.lo[4]!;
        calls.push(cpu.memory.read32(esp + 4));
        cpu.lo[0] = 0x21;
        cpu.ip = cpu.memory.read32(esp);
        cpu.lo[4] = esp + 8;
      },
    };
    // the hooked address needs no mapping: the environment emulates it entirely
    const cpu = makeCpu([0xb8, ...le32(api), 0x68, ...le32(0x1234), 0xff, 0xd0, 0xf4], { environment });
    cpu.addHook(api);
    const result = cpu.run();
    assert.equal(result.reason, 'hlt');
    assert.deepEqual(calls, [0x1234]);
    assert.equal(reg(cpu, 'rax'), 0x21);
    assert.equal(reg(cpu, 'rsp'), STACK_TOP - 0x100);
  });
  test('a hook that leaves ip alone runs the code there; one that stops ends the run', () => {
    const api = 0x7c801000;
    let hits = 0;
    const cpu = makeCpu([0xb8, ...le32(api), 0xff, 0xd0, 0xff, 0xd0, 0xf4], {
      environment: {
        onHook(inner: Cpu) {
          hits++;
          if (hits === 2) inner.stop('hook_stop', 'second call');
        },
      },
    });
    cpu.memory.map(api, 0x1000, PERM_RWX);
    cpu.memory.writeBytes(api, Uint8Array.from([0xc3])); // ret
    cpu.addHook(api);
    const result = cpu.run();
    assert.equal(result.reason, 'hook_stop');
    assert.equal(result.detail, 'second call');
    assert.equal(hits, 2);
  });
  test('int3 without a handler is a breakpoint fault; ud2 is an invalid opcode', () => {
    const trap = run([0x90, 0xcc]).result;
    assert.equal(trap.reason, 'fault');
    assert.equal(trap.fault?.kind, 'breakpoint');
    const invalid = run([0x90, 0x0f, 0x0b]).result;
    assert.equal(invalid.reason, 'invalid_opcode');
    assert.equal(invalid.address, CODE_32 + 1);
    assert.equal(invalid.instructions, 1);
  });
  test('cpuid answers GenuineIntel; rdtsc moves forward', () => {
    const { cpu } = run([0x31, 0xc0, 0x0f, 0xa2]);
    const vendor = Buffer.alloc(12);
    vendor.writeUInt32LE(reg(cpu, 'rbx'), 0);
    vendor.writeUInt32LE(reg(cpu, 'rdx'), 4);
    vendor.writeUInt32LE(reg(cpu, 'rcx'), 8);
    assert.equal(vendor.toString('latin1'), 'GenuineIntel');
    // rdtsc; mov ebx, eax; nop; rdtsc; sub eax, ebx
    const timed = run([0x0f, 0x31, 0x89, 0xc3, 0x90, 0x0f, 0x31, 0x29, 0xd8]).cpu;
    assert.ok(reg(timed, 'rax') > 0);
  });
});

describe('x87 and SSE', () => {
  test('fld1 / fldpi / fstp qword / fstp dword', () => {
    const { cpu } = run([0xd9, 0xe8, 0xd9, 0xeb, 0xdd, 0x1b, 0xd9, 0x5b, 0x08], { registers: { rbx: DATA } });
    const bytes = Buffer.from(cpu.memory.readBytes(DATA, 12)!);
    assert.equal(bytes.readDoubleLE(0), Math.PI);
    assert.equal(bytes.readFloatLE(8), 1);
  });
  test('movd / pxor / movd round trip and movdqu copies 16 bytes', () => {
    const code = [0xb8, ...le32(0x11223344), 0x66, 0x0f, 0x6e, 0xc0, 0xb9, 0xff, 0xff, 0xff, 0xff, 0x66, 0x0f, 0x6e, 0xc9, 0x66, 0x0f, 0xef, 0xc1, 0x66, 0x0f, 0x7e, 0xc2];
    assert.equal(reg(run(code).cpu, 'rdx'), 0xeeddccbb);
    const data = Uint8Array.from({ length: 16 }, (_, k) => k + 1);
    // movdqu xmm2, [ebx]; xorps xmm3, xmm3; movups [ebx+0x10], xmm2
    const copied = run([0xf3, 0x0f, 0x6f, 0x13, 0x0f, 0x57, 0xdb, 0x0f, 0x11, 0x53, 0x10], { registers: { rbx: DATA }, data }).cpu;
    assert.deepEqual(Array.from(copied.memory.readBytes(DATA + 16, 16)!), Array.from(data));
  });
  test('movdqa on a misaligned address is a general-protection fault', () => {
    const { result } = run([0x66, 0x0f, 0x6f, 0x43, 0x01], { registers: { rbx: DATA } });
    assert.equal(result.fault?.kind, 'general_protection');
  });
  test('64-bit: movq rax, xmm0 after movq xmm0, rcx', () => {
    const { cpu } = run([0x66, 0x48, 0x0f, 0x6e, 0xc1, 0x66, 0x48, 0x0f, 0x7e, 0xc0], { mode: 64, registers: { rcx: 0x1122334455667788n } });
    assert.equal(regBig(cpu, 'rax'), 0x1122334455667788n);
  });
});

describe('hooks on unmapped addresses', () => {
  test('a hook that does not emulate the call falls through to the fetch fault', () => {
    const api = 0x7c900000;
    const cpu = makeCpu([0xb8, ...le32(api), 0xff, 0xd0, 0xf4], { environment: { onHook: () => {} } });
    cpu.addHook(api);
    const result = cpu.run();
    assert.equal(result.reason, 'fault');
    assert.deepEqual(result.fault, { kind: 'unmapped_fetch', address: api });
    assert.equal(result.address, api);
  });
});

describe('BCD and segment instructions (32-bit)', () => {
  test('daa after adding packed BCD 0x19 + 0x28 = 0x47', () => {
    const { cpu } = run([0xb0, 0x19, 0x04, 0x28, 0x27]);
    assert.equal(reg(cpu, 'rax') & 0xff, 0x47);
  });
  test('aaa / aam / aad', () => {
    // mov ax, 0x0009; add al, 3; aaa  => ax = 0x0102
    assert.equal(reg(run([0x66, 0xb8, 0x09, 0x00, 0x04, 0x03, 0x37]).cpu, 'rax') & 0xffff, 0x0102);
    // mov al, 47; aam 10 => ah 4, al 7; aad 10 => al 47
    assert.equal(reg(run([0xb0, 47, 0xd4, 0x0a]).cpu, 'rax') & 0xffff, 0x0407);
    assert.equal(reg(run([0xb0, 47, 0xd4, 0x0a, 0xd5, 0x0a]).cpu, 'rax') & 0xffff, 47);
  });
  test('push cs / mov eax, ds give the 32-bit Windows selectors', () => {
    const { cpu } = run([0x0e, 0x59, 0x8c, 0xd8, 0x0f, 0xa0, 0x5a]);
    assert.equal(reg(cpu, 'rcx'), 0x1b);
    assert.equal(reg(cpu, 'rax'), 0x23);
    assert.equal(reg(cpu, 'rdx'), 0x3b);
  });
});

describe('classic Linux payloads reach the syscall handler with their arguments', () => {
  function execveRecorder(mode: 32 | 64): { calls: Array<{ path: string | null; argv0: string | null }>; environment: { onSyscall: (cpu: Cpu) => void } } {
    const calls: Array<{ path: string | null; argv0: string | null }> = [];
    const environment = {
      onSyscall(cpu: Cpu) {
        const number = cpu.lo[0];
        const pathArg = mode === 32 ? cpu.lo[3]! : cpu.getRegister(7);
        const argvArg = mode === 32 ? cpu.lo[1]! : cpu.getRegister(6);
        if ((mode === 32 && number === 11) || (mode === 64 && number === 59)) {
          const argv0 = mode === 32 ? cpu.memory.read32(argvArg) : cpu.memory.read32(argvArg) + cpu.memory.read32(argvArg + 4) * 2 ** 32;
          calls.push({ path: cpu.memory.readString(pathArg), argv0: cpu.memory.readString(argv0) });
          cpu.stop('exit', 'execve', 0);
        }
      },
    };
    return { calls, environment };
  }

  test('i386 execve("/bin//sh") through int 0x80', () => {
    const { calls, environment } = execveRecorder(32);
    const code = [0x31, 0xc0, 0x50, 0x68, 0x2f, 0x2f, 0x73, 0x68, 0x68, 0x2f, 0x62, 0x69, 0x6e, 0x89, 0xe3, 0x50, 0x53, 0x89, 0xe1, 0xb0, 0x0b, 0xcd, 0x80];
    const { result } = run(code, { environment });
    assert.equal(result.reason, 'exit');
    assert.deepEqual(calls, [{ path: '/bin//sh', argv0: '/bin//sh' }]);
  });

  test('x86-64 execve("/bin/sh") through syscall', () => {
    const { calls, environment } = execveRecorder(64);
    const code = [
      0x31, 0xc0, // xor eax, eax
      0x48, 0x31, 0xd2, // xor rdx, rdx
      0x48, 0xbb, 0x2f, 0x2f, 0x62, 0x69, 0x6e, 0x2f, 0x73, 0x68, // mov rbx, '//bin/sh'
      0x48, 0xc1, 0xeb, 0x08, // shr rbx, 8
      0x53, // push rbx
      0x48, 0x89, 0xe7, // mov rdi, rsp
      0x52, // push rdx
      0x57, // push rdi
      0x48, 0x89, 0xe6, // mov rsi, rsp
      0xb0, 0x3b, // mov al, 59
      0x0f, 0x05, // syscall
    ];
    const { result } = run(code, { mode: 64, environment });
    assert.equal(result.reason, 'exit');
    assert.deepEqual(calls, [{ path: '/bin/sh', argv0: '/bin/sh' }]);
  });
});
