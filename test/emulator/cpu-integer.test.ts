import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AF, CF, DF, OF, PF, SF, ZF } from '../../src/emulator/cpu/index.ts';
import { DATA, reg, regBig, run, STACK_TOP } from './harness.ts';

const ARITH = CF | PF | AF | ZF | SF | OF;

function flagsOf(code: number[], registers = {}): { eax: number; flags: number } {
  const { cpu, result } = run(code, { registers });
  assert.equal(result.reason, 'hlt', JSON.stringify(result));
  return { eax: reg(cpu, 'rax'), flags: cpu.eflags & ARITH };
}

describe('add / adc / sub / sbb / cmp flags', () => {
  test('add al, 1 from 0x7f overflows into the sign bit', () => {
    // mov al, 0x7f; add al, 1
    const { eax, flags } = flagsOf([0xb0, 0x7f, 0x04, 0x01]);
    assert.equal(eax & 0xff, 0x80);
    assert.equal(flags, OF | SF | AF);
  });
  test('add eax, 1 from 0xffffffff carries to zero', () => {
    const { eax, flags } = flagsOf([0xb8, 0xff, 0xff, 0xff, 0xff, 0x83, 0xc0, 0x01]);
    assert.equal(eax, 0);
    assert.equal(flags, CF | ZF | PF | AF);
  });
  test('sub eax, 1 from 0 borrows', () => {
    const { eax, flags } = flagsOf([0x31, 0xc0, 0x83, 0xe8, 0x01]);
    assert.equal(eax, 0xffffffff);
    assert.equal(flags, CF | SF | AF | PF);
  });
  test('sbb with carry in: 5 - 5 - 1', () => {
    // stc; mov eax, 5; sbb eax, 5
    const { eax, flags } = flagsOf([0xf9, 0xb8, 5, 0, 0, 0, 0x83, 0xd8, 0x05]);
    assert.equal(eax, 0xffffffff);
    assert.equal(flags, CF | SF | AF | PF);
  });
  test('adc with carry in: 0xffffffff + 0 + 1', () => {
    const { eax, flags } = flagsOf([0xf9, 0xb8, 0xff, 0xff, 0xff, 0xff, 0x83, 0xd0, 0x00]);
    assert.equal(eax, 0);
    assert.equal(flags, CF | ZF | PF | AF);
  });
  test('cmp sets flags without writing: 0x80000000 - 1 overflows', () => {
    const { eax, flags } = flagsOf([0xb8, 0, 0, 0, 0x80, 0x83, 0xf8, 0x01]);
    assert.equal(eax, 0x80000000);
    assert.equal(flags, OF | AF | PF);
  });
  test('xor clears CF/OF and sets ZF/PF', () => {
    const { flags } = flagsOf([0xf9, 0x31, 0xc0]);
    assert.equal(flags & ~AF, ZF | PF);
  });
  test('inc keeps CF and overflows at 0x7fffffff', () => {
    const { eax, flags } = flagsOf([0xf9, 0xb8, 0xff, 0xff, 0xff, 0x7f, 0x40]);
    assert.equal(eax, 0x80000000);
    assert.equal(flags, CF | OF | SF | AF | PF);
  });
  test('neg: of zero clears CF, of 5 sets it', () => {
    assert.equal(flagsOf([0x31, 0xc0, 0xf7, 0xd8]).flags & CF, 0);
    const { eax, flags } = flagsOf([0xb8, 5, 0, 0, 0, 0xf7, 0xd8]);
    assert.equal(eax, 0xfffffffb);
    assert.equal(flags & CF, CF);
  });
  test('16-bit operand size leaves the upper half alone', () => {
    // mov eax, 0x1234ffff; add ax, 1
    const { eax, flags } = flagsOf([0xb8, 0xff, 0xff, 0x34, 0x12, 0x66, 0x83, 0xc0, 0x01]);
    assert.equal(eax, 0x12340000);
    assert.equal(flags & (CF | ZF), CF | ZF);
  });
  test('byte registers AH..BH', () => {
    // mov eax, 0x1122; mov ah, 0x77; mov bh, ah; add bl, ah  (bl = 0x77)
    const { cpu } = run([0xb8, 0x22, 0x11, 0, 0, 0xb4, 0x77, 0x88, 0xe7, 0x00, 0xe3], { registers: { rbx: 0 } });
    assert.equal(reg(cpu, 'rax'), 0x7722);
    assert.equal(reg(cpu, 'rbx'), 0x7777);
  });
});

describe('multiply and divide', () => {
  test('mul ecx: 0x80000000 * 4', () => {
    const { cpu } = run([0xb8, 0, 0, 0, 0x80, 0xb9, 4, 0, 0, 0, 0xf7, 0xe1]);
    assert.equal(reg(cpu, 'rax'), 0);
    assert.equal(reg(cpu, 'rdx'), 2);
    assert.equal(cpu.eflags & (CF | OF), CF | OF);
  });
  test('imul ecx (one operand): -2 * 3', () => {
    const { cpu } = run([0xb8, 0xfe, 0xff, 0xff, 0xff, 0xb9, 3, 0, 0, 0, 0xf7, 0xe9]);
    assert.equal(reg(cpu, 'rax'), 0xfffffffa);
    assert.equal(reg(cpu, 'rdx'), 0xffffffff);
    assert.equal(cpu.eflags & (CF | OF), 0);
  });
  test('imul eax, ecx, 0x10 and imul eax, ecx overflow', () => {
    const { cpu } = run([0xb9, 0, 0, 0, 0x10, 0x6b, 0xc1, 0x10]);
    assert.equal(reg(cpu, 'rax'), 0);
    assert.equal(cpu.eflags & (CF | OF), CF | OF);
    const small = run([0xb9, 7, 0, 0, 0, 0xb8, 0xfd, 0xff, 0xff, 0xff, 0x0f, 0xaf, 0xc1]).cpu;
    assert.equal(reg(small, 'rax'), 0xffffffeb); // -3 * 7
    assert.equal(small.eflags & (CF | OF), 0);
  });
  test('div ecx: 0x1_00000000 / 2', () => {
    const { cpu } = run([0xba, 1, 0, 0, 0, 0x31, 0xc0, 0xb9, 2, 0, 0, 0, 0xf7, 0xf1]);
    assert.equal(reg(cpu, 'rax'), 0x80000000);
    assert.equal(reg(cpu, 'rdx'), 0);
  });
  test('idiv: -7 / 2 truncates toward zero', () => {
    // mov eax, -7; cdq; mov ecx, 2; idiv ecx
    const { cpu } = run([0xb8, 0xf9, 0xff, 0xff, 0xff, 0x99, 0xb9, 2, 0, 0, 0, 0xf7, 0xf9]);
    assert.equal(reg(cpu, 'rax'), 0xfffffffd);
    assert.equal(reg(cpu, 'rdx'), 0xffffffff);
  });
  test('division by zero and quotient overflow are fault events', () => {
    const zero = run([0x31, 0xc9, 0xf7, 0xf1]).result;
    assert.equal(zero.reason, 'fault');
    assert.equal(zero.fault?.kind, 'divide_error');
    assert.equal(zero.address, 0x401002);
    // mov eax, 0x80000000; cdq; mov ecx, -1; idiv ecx
    const overflow = run([0xb8, 0, 0, 0, 0x80, 0x99, 0xb9, 0xff, 0xff, 0xff, 0xff, 0xf7, 0xf9]).result;
    assert.equal(overflow.fault?.kind, 'divide_error');
  });
  test('64-bit mul and div', () => {
    // mov rax, 0x100000000; mov rcx, 0x100000001; mul rcx; (rdx:rax = 0x1_00000001_00000000)
    const { cpu } = run([0x48, 0xb8, 0, 0, 0, 0, 1, 0, 0, 0, 0x48, 0xb9, 1, 0, 0, 0, 1, 0, 0, 0, 0x48, 0xf7, 0xe1], { mode: 64 });
    assert.equal(regBig(cpu, 'rax'), 0x100000000n);
    assert.equal(regBig(cpu, 'rdx'), 1n);
  });
});

describe('shifts and rotates', () => {
  test('shl eax, 1 out of the top bit', () => {
    const { eax, flags } = flagsOf([0xb8, 1, 0, 0, 0x80, 0xd1, 0xe0]);
    assert.equal(eax, 2);
    assert.equal(flags & (CF | OF | ZF | SF), CF | OF);
  });
  test('sar keeps the sign, shr does not', () => {
    assert.equal(flagsOf([0xb8, 0, 0, 0, 0x80, 0xc1, 0xf8, 31]).eax, 0xffffffff);
    assert.equal(flagsOf([0xb8, 0, 0, 0, 0x80, 0xc1, 0xe8, 31]).eax, 1);
  });
  test('the count is masked to 5 bits: shl eax, 33 shifts by 1', () => {
    assert.equal(flagsOf([0xb8, 3, 0, 0, 0, 0xb1, 33, 0xd3, 0xe0]).eax, 6);
  });
  test('a zero count changes no flag', () => {
    const { flags } = flagsOf([0xf9, 0xb8, 3, 0, 0, 0, 0xc1, 0xe0, 0x00]);
    assert.equal(flags & CF, CF);
  });
  test('rol al, 1 and ror', () => {
    const { eax, flags } = flagsOf([0xb0, 0x81, 0xd0, 0xc0]);
    assert.equal(eax & 0xff, 0x03);
    assert.equal(flags & (CF | OF), CF | OF);
    assert.equal(flagsOf([0xb8, 1, 0, 0, 0, 0xc1, 0xc8, 4]).eax, 0x10000000);
  });
  test('rcl / rcr go through CF', () => {
    const left = flagsOf([0xf9, 0xb0, 0x80, 0xd0, 0xd0]);
    assert.equal(left.eax & 0xff, 0x01);
    assert.equal(left.flags & CF, CF);
    const right = flagsOf([0xf8, 0xb0, 0x01, 0xd0, 0xd8]);
    assert.equal(right.eax & 0xff, 0x00);
    assert.equal(right.flags & CF, CF);
    // rcl al, 9 (9 mod 9 = 0): nothing changes
    assert.equal(flagsOf([0xf8, 0xb0, 0x81, 0xc0, 0xd0, 9]).eax & 0xff, 0x81);
  });
  test('shld / shrd', () => {
    // mov eax, 0x12345678; mov edx, 0x9abcdef0; shld eax, edx, 8
    const prefix = [0xb8, 0x78, 0x56, 0x34, 0x12, 0xba, 0xf0, 0xde, 0xbc, 0x9a];
    assert.equal(flagsOf([...prefix, 0x0f, 0xa4, 0xd0, 8]).eax, 0x3456789a);
    assert.equal(flagsOf([...prefix, 0x0f, 0xac, 0xd0, 8]).eax, 0xf0123456);
  });
});

describe('bit operations', () => {
  test('bt / bts / btr / btc on a register', () => {
    const { cpu } = run([0xb8, 0x10, 0, 0, 0, 0x0f, 0xba, 0xe0, 4, 0x0f, 0xba, 0xe8, 0, 0x0f, 0xba, 0xf0, 4, 0x0f, 0xba, 0xf8, 31]);
    assert.equal(reg(cpu, 'rax'), 0x80000001);
  });
  test('bt on memory with a register offset past the dword', () => {
    // bt dword [ebx], ecx with ecx = 35: bit 3 of the dword at ebx+4
    const data = new Uint8Array(8);
    data[4] = 0x08;
    const { cpu } = run([0x0f, 0xa3, 0x0b], { registers: { rbx: DATA, rcx: 35 }, data });
    assert.equal(cpu.eflags & CF, CF);
  });
  test('bsf / bsr, and ZF on a zero source', () => {
    const { cpu } = run([0xb9, 0xf0, 0, 0, 0, 0x0f, 0xbc, 0xc1, 0x0f, 0xbd, 0xd1]);
    assert.equal(reg(cpu, 'rax'), 4);
    assert.equal(reg(cpu, 'rdx'), 7);
    const zero = run([0x31, 0xc9, 0xb8, 9, 0, 0, 0, 0x0f, 0xbc, 0xc1]).cpu;
    assert.equal(reg(zero, 'rax'), 9);
    assert.equal(zero.eflags & ZF, ZF);
  });
  test('bswap', () => {
    assert.equal(flagsOf([0xb8, 0x78, 0x56, 0x34, 0x12, 0x0f, 0xc8]).eax, 0x78563412);
  });
});

describe('moves and exchanges', () => {
  test('movzx / movsx / cwde / cdq', () => {
    const { cpu } = run([0xb9, 0x80, 0xff, 0, 0, 0x0f, 0xb6, 0xc1, 0x0f, 0xbe, 0xd1, 0x0f, 0xbf, 0xd9]);
    assert.equal(reg(cpu, 'rax'), 0x80);
    assert.equal(reg(cpu, 'rdx'), 0xffffff80);
    assert.equal(reg(cpu, 'rbx'), 0xffffff80);
    const widened = run([0x66, 0xb8, 0x00, 0x80, 0x98, 0x99]).cpu;
    assert.equal(reg(widened, 'rax'), 0xffff8000);
    assert.equal(reg(widened, 'rdx'), 0xffffffff);
  });
  test('xchg, xadd, cmpxchg', () => {
    const { cpu } = run([0xb8, 1, 0, 0, 0, 0xb9, 2, 0, 0, 0, 0x91, 0x0f, 0xc1, 0xc8]);
    // after xchg: eax=2, ecx=1; xadd eax, ecx: ecx=2, eax=3
    assert.equal(reg(cpu, 'rax'), 3);
    assert.equal(reg(cpu, 'rcx'), 2);
    // cmpxchg ecx, edx with eax == ecx: ecx = edx
    const equal = run([0xb8, 5, 0, 0, 0, 0x89, 0xc1, 0xba, 9, 0, 0, 0, 0x0f, 0xb1, 0xd1]).cpu;
    assert.equal(reg(equal, 'rcx'), 9);
    assert.equal(equal.eflags & ZF, ZF);
    // not equal: eax = ecx
    const differ = run([0xb8, 5, 0, 0, 0, 0xb9, 7, 0, 0, 0, 0x0f, 0xb1, 0xd1]).cpu;
    assert.equal(reg(differ, 'rax'), 7);
  });
  test('setcc and cmovcc', () => {
    // cmp eax, eax; sete cl; setne dl; mov ebx, 5; cmove eax, ebx
    const { cpu } = run([0x31, 0xc0, 0x39, 0xc0, 0x0f, 0x94, 0xc1, 0x0f, 0x95, 0xc2, 0xbb, 5, 0, 0, 0, 0x0f, 0x44, 0xc3], { registers: { rcx: 0, rdx: 0 } });
    assert.equal(reg(cpu, 'rcx'), 1);
    assert.equal(reg(cpu, 'rdx'), 0);
    assert.equal(reg(cpu, 'rax'), 5);
  });
  test('lea with SIB', () => {
    // lea eax, [ebx + ecx*4 + 0x10]
    const { cpu } = run([0x8d, 0x44, 0x8b, 0x10], { registers: { rbx: 0x1000, rcx: 3 } });
    assert.equal(reg(cpu, 'rax'), 0x101c);
  });
  test('memory operands: mov [ebx+4], ecx; mov edx, [ebx+4]', () => {
    const { cpu } = run([0x89, 0x4b, 0x04, 0x8b, 0x53, 0x04], { registers: { rbx: DATA, rcx: 0xcafebabe } });
    assert.equal(reg(cpu, 'rdx'), 0xcafebabe);
    assert.deepEqual(Array.from(cpu.memory.readBytes(DATA + 4, 4)!), [0xbe, 0xba, 0xfe, 0xca]);
  });
});

describe('stack', () => {
  test('push / pop / pushad / popad', () => {
    // push 0x11223344; pop ecx; pushad; mov eax, 0; popad
    const { cpu } = run([0x68, 0x44, 0x33, 0x22, 0x11, 0x59, 0x60, 0x31, 0xc0, 0x61], { registers: { rax: 7 } });
    assert.equal(reg(cpu, 'rcx'), 0x11223344);
    assert.equal(reg(cpu, 'rax'), 7);
    assert.equal(reg(cpu, 'rsp'), STACK_TOP - 0x100);
  });
  test('pushfd / popfd carry DF and CF', () => {
    // pushfd; or dword [esp], 0x401; popfd
    const { cpu } = run([0x9c, 0x81, 0x0c, 0x24, 0x01, 0x04, 0, 0, 0x9d]);
    assert.equal(cpu.eflags & (DF | CF), DF | CF);
  });
  test('call / ret and enter / leave', () => {
    // call +5; jmp end; (fn:) enter 8, 0; mov [ebp-4], 1; leave; ret; end: hlt
    const code = [0xe8, 0x02, 0, 0, 0, 0xeb, 0x0d, 0xc8, 0x08, 0x00, 0x00, 0xc7, 0x45, 0xfc, 1, 0, 0, 0, 0xc9, 0xc3];
    const { cpu, result } = run(code, { registers: { rbp: 0x1234 } });
    assert.equal(result.reason, 'hlt');
    assert.equal(reg(cpu, 'rbp'), 0x1234);
    assert.equal(reg(cpu, 'rsp'), STACK_TOP - 0x100);
  });
  test('loop / loopnz / jecxz', () => {
    // mov ecx, 5; xor eax, eax; (l:) inc eax; loop l; jecxz +1; int3; hlt
    const { cpu, result } = run([0xb9, 5, 0, 0, 0, 0x31, 0xc0, 0x40, 0xe2, 0xfd, 0xe3, 0x01, 0xcc]);
    assert.equal(result.reason, 'hlt');
    assert.equal(reg(cpu, 'rax'), 5);
  });
});

describe('string instructions', () => {
  test('rep movsb copies forward, std + rep stosd fills backward', () => {
    const data = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const { cpu } = run([0xb9, 8, 0, 0, 0, 0xf3, 0xa4], { registers: { rsi: DATA, rdi: DATA + 0x100 }, data });
    assert.deepEqual(Array.from(cpu.memory.readBytes(DATA + 0x100, 8)!), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(reg(cpu, 'rcx'), 0);
    const back = run([0xfd, 0xb9, 2, 0, 0, 0, 0xb8, 0xaa, 0xbb, 0xcc, 0xdd, 0xf3, 0xab, 0xfc], { registers: { rdi: DATA + 0x104 } }).cpu;
    assert.deepEqual(Array.from(back.memory.readBytes(DATA + 0x100, 8)!), [0xaa, 0xbb, 0xcc, 0xdd, 0xaa, 0xbb, 0xcc, 0xdd]);
    assert.equal(reg(back, 'rdi'), DATA + 0xfc);
  });
  test('repne scasb measures a string; repe cmpsb stops at the difference', () => {
    const text = new TextEncoder().encode('hello\0');
    // xor eax, eax; mov ecx, -1; repne scasb; not ecx; dec ecx  => length 5
    const { cpu } = run([0x31, 0xc0, 0xb9, 0xff, 0xff, 0xff, 0xff, 0xf2, 0xae, 0xf7, 0xd1, 0x49], { registers: { rdi: DATA }, data: text });
    assert.equal(reg(cpu, 'rcx'), 5);
    const pair = new TextEncoder().encode('abcXabcY');
    const compared = run([0xb9, 4, 0, 0, 0, 0xf3, 0xa6], { registers: { rsi: DATA, rdi: DATA + 4 }, data: pair }).cpu;
    assert.equal(reg(compared, 'rcx'), 0);
    assert.equal(compared.eflags & ZF, 0);
    assert.equal(reg(compared, 'rsi'), DATA + 4);
  });
  test('lodsb reads through esi', () => {
    const { cpu } = run([0xac, 0xac], { registers: { rsi: DATA }, data: Uint8Array.from([0x41, 0x42]) });
    assert.equal(reg(cpu, 'rax') & 0xff, 0x42);
  });
});

describe('64-bit mode', () => {
  test('mov r64, imm64 and a carry across the halves', () => {
    // mov rax, 0xffffffff; mov rbx, 1; add rax, rbx
    const { cpu } = run([0x48, 0xb8, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x48, 0xc7, 0xc3, 1, 0, 0, 0, 0x48, 0x01, 0xd8], { mode: 64 });
    assert.equal(regBig(cpu, 'rax'), 0x100000000n);
    assert.equal(cpu.eflags & CF, 0);
  });
  test('32-bit writes zero the upper half; 8/16-bit writes do not', () => {
    const { cpu } = run([0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, 0x48, 0x89, 0xc1, 0xb8, 1, 0, 0, 0, 0xb1, 0x22], { mode: 64 });
    assert.equal(regBig(cpu, 'rax'), 1n);
    assert.equal(regBig(cpu, 'rcx'), 0xffffffffffffff22n);
  });
  test('REX registers r8-r15 and movsxd', () => {
    // mov r9d, -2; movsxd r10, r9d; lea r11, [r10 + r9*2]
    const { cpu } = run([0x41, 0xb9, 0xfe, 0xff, 0xff, 0xff, 0x4d, 0x63, 0xd1, 0x4f, 0x8d, 0x1c, 0x4a], { mode: 64 });
    assert.equal(regBig(cpu, 'r10'), 0xfffffffffffffffen);
    assert.equal(regBig(cpu, 'r11'), 0x1fffffffan); // -2 + 0xfffffffe * 2, mod 2^64
  });
  test('RIP-relative addressing', () => {
    // lea rax, [rip + 0x10]; mov ecx, [rip - 13] (reads the lea bytes back)
    const { cpu } = run([0x48, 0x8d, 0x05, 0x10, 0, 0, 0, 0x8b, 0x0d, 0xf3, 0xff, 0xff, 0xff], { mode: 64 });
    assert.equal(reg(cpu, 'rax'), 0x140001000 + 7 + 0x10);
    assert.equal(reg(cpu, 'rcx'), 0x10058d48);
  });
  test('a successful 32-bit cmpxchg leaves rax whole (hardware; Unicorn 2.0 differs)', () => {
    // mov rax, 0x100000005; mov ecx, 5; mov edx, 9; cmpxchg ecx, edx
    const { cpu } = run([0x48, 0xb8, 5, 0, 0, 0, 1, 0, 0, 0, 0xb9, 5, 0, 0, 0, 0xba, 9, 0, 0, 0, 0x0f, 0xb1, 0xd1], { mode: 64 });
    assert.equal(regBig(cpu, 'rax'), 0x100000005n);
    assert.equal(reg(cpu, 'rcx'), 9);
  });
  test('memory and code above 4 GiB', () => {
    const high = 0x7ff712340000;
    const { cpu: probe } = run([], { mode: 64 });
    const memory = probe.memory;
    memory.map(high, 0x2000, 7);
    // mov [rbx + 0x1ffc], ecx reaches across nothing; mov rdx, [rbx + 0x1ff8] reads it back
    const { cpu } = run([0x89, 0x8b, 0xfc, 0x1f, 0, 0, 0x48, 0x8b, 0x93, 0xf8, 0x1f, 0, 0], { mode: 64, memory, registers: { rbx: high, rcx: 0x44332211 } });
    assert.equal(regBig(cpu, 'rdx'), 0x4433221100000000n);
    // call into code at the high address and come back
    memory.writeBytes(high, Uint8Array.from([0xb8, 0x99, 0, 0, 0, 0xc3]));
    const { cpu: caller, result } = run([0xff, 0xd3], { mode: 64, memory, registers: { rbx: high } });
    assert.equal(result.reason, 'hlt');
    assert.equal(reg(caller, 'rax'), 0x99);
  });
  test('FS / GS segment bases: mov rax, gs:[0x60]; mov ecx, fs:[0x30] in 32-bit', () => {
    const data = new Uint8Array(0x68);
    new DataView(data.buffer).setUint32(0x60, 0x7ffdf000, true);
    new DataView(data.buffer).setUint32(0x30, 0x7ffd3000, true);
    const { cpu } = run([0x65, 0x48, 0x8b, 0x04, 0x25, 0x60, 0, 0, 0], { mode: 64, gsBase: DATA, data });
    assert.equal(reg(cpu, 'rax'), 0x7ffdf000);
    const x86 = run([0x64, 0x8b, 0x0d, 0x30, 0, 0, 0], { fsBase: DATA, data }).cpu;
    assert.equal(reg(x86, 'rcx'), 0x7ffd3000);
    // the classic PEB load: mov eax, fs:[0x30] (moffs form)
    assert.equal(reg(run([0x64, 0xa1, 0x30, 0, 0, 0], { fsBase: DATA, data }).cpu, 'rax'), 0x7ffd3000);
  });
});
