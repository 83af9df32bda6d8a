/**
 * Random instruction sequences for the differential test, drawn from a table of the encodings the
 * CPU supports. Memory operands use rbx (fixed at the middle of the data area) and string
 * instructions use rsi/rdi (fixed inside it), so neither register is ever a destination; every
 * instruction says which flags it defines, given the state just before it runs.
 */
import { AF, CF, DF, OF, PF, SF, ZF, type Cpu } from '../../src/emulator/cpu/index.ts';

export const ALL_FLAGS = CF | PF | AF | ZF | SF | OF | DF;

export interface Generated {
  bytes: number[];
  /** flags whose value is defined after this instruction, computed from the state before it */
  defined: (before: Cpu) => number;
  text: string;
  /**
   * A documented Unicorn 2.0 difference to forgive: 'cmpxchg32' — a successful 32-bit cmpxchg in
   * 64-bit mode zero-extends rax in Unicorn (QEMU 5 writes the accumulator back either way); the
   * hardware leaves rax alone, and so do we.
   */
  quirk?: 'cmpxchg32';
}

export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  next(): number {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(limit: number): number {
    return Math.floor(this.next() * limit);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  byte(): number {
    return this.int(256);
  }
  u32(): number {
    return (this.int(65536) * 65536 + this.int(65536)) >>> 0;
  }
  bool(): boolean {
    return this.next() < 0.5;
  }
}

type Mode = 32 | 64;

const always = (mask: number) => (): number => mask;

/** An operand context: prefix bytes and the REX bits to fold in. */
class Encoder {
  rex = 0;
  forceRex = false;
  readonly prefixes: number[] = [];
  constructor(
    readonly rng: Random,
    readonly mode: Mode,
    readonly size: number,
  ) {
    if (size === 2) this.prefixes.push(0x66);
    if (size === 8) this.rex |= 8;
    if (mode === 64 && size === 1 && rng.bool()) this.forceRex = true;
  }

  /** a register that may be written */
  destination(): number {
    if (this.size === 1 && !this.forceRex) return this.rng.pick([0, 1, 2, 4, 5]);
    const choices = this.mode === 64 ? [0, 1, 2, 5, 8, 9, 10, 11, 12, 13, 14, 15] : [0, 1, 2, 5];
    return this.rng.pick(choices);
  }

  /** any register, as a source */
  source(): number {
    if (this.size === 1 && !this.forceRex) return this.rng.int(8);
    return this.rng.int(this.mode === 64 ? 16 : 8);
  }

  /** ModRM (+SIB/disp) for reg field `reg` and a register rm */
  registerForm(reg: number, rm: number): number[] {
    if (reg & 8) this.rex |= 4;
    if (rm & 8) this.rex |= 1;
    return [0xc0 | ((reg & 7) << 3) | (rm & 7)];
  }

  /** ModRM for a memory operand inside the data area: [rbx+disp8], [rbx+disp32], [rbx] via SIB */
  memoryForm(reg: number): number[] {
    if (reg & 8) this.rex |= 4;
    const r = (reg & 7) << 3;
    const kind = this.rng.int(3);
    const disp = this.rng.int(240) - 120;
    if (kind === 0) return [0x40 | r | 3, disp & 0xff];
    if (kind === 1) return [0x80 | r | 3, disp & 0xff, (disp >> 8) & 0xff, (disp >> 16) & 0xff, (disp >> 24) & 0xff];
    return [0x04 | r, 0x23];
  }

  operand(reg: number, destination: boolean): number[] {
    if (this.rng.int(3) === 0) return this.memoryForm(reg);
    return this.registerForm(reg, destination ? this.destination() : this.source());
  }

  emit(opcode: number[], rest: number[]): number[] {
    const out = [...this.prefixes];
    if (this.mode === 64 && (this.rex !== 0 || this.forceRex)) out.push(0x40 | this.rex);
    return [...out, ...opcode, ...rest];
  }
}

function immediate(rng: Random, size: number): number[] {
  const bytes = size === 1 ? 1 : size === 2 ? 2 : 4;
  const value = rng.pick([0, 1, 0x7f, 0x80, 0xff, 0xffffffff, 0x80000000, 0x7fffffff, rng.u32(), rng.u32()]);
  const out: number[] = [];
  for (let k = 0; k < bytes; k++) out.push((value >>> (8 * k)) & 0xff);
  return out;
}

function randomSize(rng: Random, mode: Mode, byteAllowed = true): number {
  const sizes = mode === 64 ? [2, 4, 4, 8, 8] : [2, 4, 4, 4];
  if (byteAllowed) sizes.push(1, 1);
  return rng.pick(sizes);
}

const LOGIC = [1, 4, 6];

type Generator = (rng: Random, mode: Mode) => Generated;

const generators: Array<[number, Generator]> = [
  // ALU op E,G / G,E / acc,imm
  [
    10,
    (rng, mode) => {
      const op = rng.int(8);
      const form = rng.int(6);
      const size = form & 1 ? randomSize(rng, mode, false) : 1;
      const e = new Encoder(rng, mode, size);
      let rest: number[];
      if (form < 2) rest = e.operand(e.source(), op !== 7);
      else if (form < 4) rest = e.operand(op === 7 ? e.source() : e.destination(), false);
      else rest = immediate(rng, size);
      const defined = LOGIC.includes(op) ? ALL_FLAGS & ~AF : ALL_FLAGS;
      return { bytes: e.emit([(op << 3) | form], rest), defined: always(defined), text: `alu ${op}/${form}` };
    },
  ],
  // group 1 with immediates
  [
    8,
    (rng, mode) => {
      const opcode = rng.pick([0x80, 0x81, 0x83]);
      const size = opcode === 0x80 ? 1 : randomSize(rng, mode, false);
      const e = new Encoder(rng, mode, size);
      const op = rng.int(8);
      const rest = e.operand(op, op !== 7);
      const imm = opcode === 0x81 ? immediate(rng, size) : [rng.byte()];
      return { bytes: e.emit([opcode], [...rest, ...imm]), defined: always(LOGIC.includes(op) ? ALL_FLAGS & ~AF : ALL_FLAGS), text: `grp1 ${opcode.toString(16)}/${op}` };
    },
  ],
  // test
  [
    3,
    (rng, mode) => {
      const size = randomSize(rng, mode);
      const e = new Encoder(rng, mode, size);
      if (rng.bool()) return { bytes: e.emit([size === 1 ? 0x84 : 0x85], e.operand(e.source(), false)), defined: always(ALL_FLAGS & ~AF), text: 'test E,G' };
      return { bytes: e.emit([size === 1 ? 0xf6 : 0xf7], [...e.operand(0, false), ...immediate(rng, size)]), defined: always(ALL_FLAGS & ~AF), text: 'test E,I' };
    },
  ],
  // not / neg / mul / imul / div / idiv
  [
    6,
    (rng, mode) => {
      const size = randomSize(rng, mode);
      const e = new Encoder(rng, mode, size);
      const op = rng.pick([2, 3, 4, 5, 6, 7]);
      const defined = op === 2 || op === 3 ? ALL_FLAGS : op <= 5 ? CF | OF | DF : DF;
      return { bytes: e.emit([size === 1 ? 0xf6 : 0xf7], e.operand(op, op <= 3)), defined: always(defined), text: `grp3 /${op}` };
    },
  ],
  // inc / dec
  [
    4,
    (rng, mode) => {
      const size = randomSize(rng, mode);
      const e = new Encoder(rng, mode, size);
      if (mode === 32 && size === 4 && rng.bool()) return { bytes: [rng.pick([0x40, 0x48]) + e.destination()], defined: always(ALL_FLAGS), text: 'inc/dec r32' };
      const op = rng.int(2);
      return { bytes: e.emit([size === 1 ? 0xfe : 0xff], e.operand(op, true)), defined: always(ALL_FLAGS), text: `inc/dec E /${op}` };
    },
  ],
  // shifts and rotates
  [
    10,
    (rng, mode) => {
      const size = randomSize(rng, mode);
      const e = new Encoder(rng, mode, size);
      const op = rng.int(8);
      const form = rng.pick(['imm', 'one', 'cl']);
      const rest = e.operand(op, true);
      const imm = rng.pick([0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, rng.byte()]);
      const opcode = form === 'imm' ? (size === 1 ? 0xc0 : 0xc1) : form === 'one' ? (size === 1 ? 0xd0 : 0xd1) : size === 1 ? 0xd2 : 0xd3;
      const bits = size * 8;
      const defined = (before: Cpu): number => {
        const raw = form === 'imm' ? imm : form === 'one' ? 1 : before.lo[1]! & 0xff;
        const count = raw & (size === 8 ? 63 : 31);
        if (count === 0) return ALL_FLAGS;
        let mask = ALL_FLAGS;
        if (count !== 1) mask &= ~OF;
        if (op >= 4) {
          mask &= ~AF;
          if (count >= bits && op !== 7) mask &= ~CF;
        }
        return mask;
      };
      return { bytes: e.emit([opcode], form === 'imm' ? [...rest, imm] : rest), defined, text: `shift /${op} ${form}` };
    },
  ],
  // shld / shrd (32/64-bit: 16-bit counts above 16 are undefined)
  [
    3,
    (rng, mode) => {
      const size = mode === 64 && rng.bool() ? 8 : 4;
      const e = new Encoder(rng, mode, size);
      const byCl = rng.bool();
      const left = rng.bool();
      const rest = e.operand(e.source(), true);
      const imm = rng.int(64);
      const opcode = left ? (byCl ? 0xa5 : 0xa4) : byCl ? 0xad : 0xac;
      const defined = (before: Cpu): number => {
        const count = (byCl ? before.lo[1]! & 0xff : imm) & (size === 8 ? 63 : 31);
        if (count === 0) return ALL_FLAGS;
        return ALL_FLAGS & ~AF & ~(count !== 1 ? OF : 0);
      };
      return { bytes: e.emit([0x0f, opcode], byCl ? rest : [...rest, imm]), defined, text: `shxd ${opcode.toString(16)}` };
    },
  ],
  // bt / bts / btr / btc
  [
    4,
    (rng, mode) => {
      const size = randomSize(rng, mode, false);
      const e = new Encoder(rng, mode, size);
      const op = rng.int(4);
      if (rng.bool()) {
        return { bytes: e.emit([0x0f, [0xa3, 0xab, 0xb3, 0xbb][op]!], e.registerForm(e.source(), e.destination())), defined: always(CF | DF), text: `bt reg ${op}` };
      }
      return { bytes: e.emit([0x0f, 0xba], [...e.operand(4 + op, true), rng.byte()]), defined: always(CF | DF), text: `bt imm ${op}` };
    },
  ],
  // bsf / bsr
  [
    2,
    (rng, mode) => {
      const size = randomSize(rng, mode, false);
      const e = new Encoder(rng, mode, size);
      return { bytes: e.emit([0x0f, rng.pick([0xbc, 0xbd])], e.operand(e.destination(), false)), defined: always(ZF | DF), text: 'bsf/bsr' };
    },
  ],
  // bswap
  [
    1,
    (rng, mode) => {
      const size = mode === 64 && rng.bool() ? 8 : 4;
      const e = new Encoder(rng, mode, size);
      const reg = e.destination();
      if (reg & 8) e.rex |= 1;
      return { bytes: e.emit([0x0f, 0xc8 + (reg & 7)], []), defined: always(ALL_FLAGS), text: 'bswap' };
    },
  ],
  // xchg / xadd / cmpxchg
  [
    4,
    (rng, mode) => {
      const size = randomSize(rng, mode);
      const e = new Encoder(rng, mode, size);
      const kind = rng.int(3);
      const rest = e.operand(e.destination(), true);
      if (kind === 0) return { bytes: e.emit([size === 1 ? 0x86 : 0x87], rest), defined: always(ALL_FLAGS), text: 'xchg' };
      if (kind === 1) return { bytes: e.emit([0x0f, size === 1 ? 0xc0 : 0xc1], rest), defined: always(ALL_FLAGS), text: 'xadd' };
      const quirk = mode === 64 && size === 4 ? { quirk: 'cmpxchg32' as const } : {};
      return { bytes: e.emit([0x0f, size === 1 ? 0xb0 : 0xb1], rest), defined: always(ALL_FLAGS), text: 'cmpxchg', ...quirk };
    },
  ],
  // mov forms
  [
    8,
    (rng, mode) => {
      const size = randomSize(rng, mode);
      const e = new Encoder(rng, mode, size);
      const kind = rng.int(4);
      if (kind === 0) return { bytes: e.emit([size === 1 ? 0x88 : 0x89], e.operand(e.source(), true)), defined: always(ALL_FLAGS), text: 'mov E,G' };
      if (kind === 1) return { bytes: e.emit([size === 1 ? 0x8a : 0x8b], e.operand(e.destination(), false)), defined: always(ALL_FLAGS), text: 'mov G,E' };
      if (kind === 2) return { bytes: e.emit([size === 1 ? 0xc6 : 0xc7], [...e.operand(0, true), ...immediate(rng, size)]), defined: always(ALL_FLAGS), text: 'mov E,I' };
      const reg = e.destination();
      if (reg & 8) e.rex |= 1;
      const imm = size === 8 ? [...immediate(rng, 4), ...immediate(rng, 4)] : immediate(rng, size);
      return { bytes: e.emit([(size === 1 ? 0xb0 : 0xb8) + (reg & 7)], imm), defined: always(ALL_FLAGS), text: 'mov r,I' };
    },
  ],
  // movzx / movsx / movsxd
  [
    4,
    (rng, mode) => {
      const size = randomSize(rng, mode, false);
      const e = new Encoder(rng, mode, size);
      if (mode === 64 && rng.int(4) === 0) {
        e.rex |= 8;
        return { bytes: e.emit([0x63], e.operand(e.destination(), false)), defined: always(ALL_FLAGS), text: 'movsxd' };
      }
      const opcode = rng.pick([0xb6, 0xb7, 0xbe, 0xbf]);
      // the byte source may be AH..BH only without REX
      const reg = e.destination();
      const rest = rng.bool() ? e.memoryForm(reg) : e.registerForm(reg, opcode & 1 ? e.source() : e.rex === 0 && !e.forceRex ? rng.int(8) : e.source());
      return { bytes: e.emit([0x0f, opcode], rest), defined: always(ALL_FLAGS), text: `movx ${opcode.toString(16)}` };
    },
  ],
  // lea with arbitrary base/index/scale (no memory access)
  [
    4,
    (rng, mode) => {
      const size = randomSize(rng, mode, false);
      const e = new Encoder(rng, mode, size);
      const reg = e.destination();
      if (reg & 8) e.rex |= 4;
      const base = rng.int(mode === 64 ? 16 : 8);
      let index = rng.int(mode === 64 ? 16 : 8);
      if (index === 4) index = 5;
      if (base & 8) e.rex |= 1;
      if (index & 8) e.rex |= 2;
      const disp = rng.u32();
      const sib = (rng.int(4) << 6) | ((index & 7) << 3) | (base & 7);
      const modrmByte = 0x80 | ((reg & 7) << 3) | 4;
      return { bytes: e.emit([0x8d], [modrmByte, sib, disp & 0xff, (disp >>> 8) & 0xff, (disp >>> 16) & 0xff, disp >>> 24]), defined: always(ALL_FLAGS), text: 'lea' };
    },
  ],
  // cmovcc / setcc
  [
    5,
    (rng, mode) => {
      if (rng.bool()) {
        const size = randomSize(rng, mode, false);
        const e = new Encoder(rng, mode, size);
        return { bytes: e.emit([0x0f, 0x40 + rng.int(16)], e.operand(e.destination(), false)), defined: always(ALL_FLAGS), text: 'cmov' };
      }
      const e = new Encoder(rng, mode, 1);
      return { bytes: e.emit([0x0f, 0x90 + rng.int(16)], e.operand(0, true)), defined: always(ALL_FLAGS), text: 'setcc' };
    },
  ],
  // cbw/cwde/cdqe, cwd/cdq/cqo, flag instructions, lahf/sahf
  [
    4,
    (rng, mode) => {
      const kind = rng.int(4);
      if (kind < 2) {
        const size = randomSize(rng, mode, false);
        const e = new Encoder(rng, mode, size);
        return { bytes: e.emit([kind === 0 ? 0x98 : 0x99], []), defined: always(ALL_FLAGS), text: 'cbw/cwd' };
      }
      if (kind === 2) return { bytes: [rng.pick([0xf5, 0xf8, 0xf9, 0xfc, 0xfd])], defined: always(ALL_FLAGS), text: 'flag op' };
      return { bytes: [rng.pick([0x9e, 0x9f])], defined: always(ALL_FLAGS), text: 'lahf/sahf' };
    },
  ],
  // push / pop / pushf
  [
    4,
    (rng, mode) => {
      const e = new Encoder(rng, mode, mode === 64 ? 4 : 4);
      const kind = rng.int(4);
      if (kind === 0) {
        const reg = e.source();
        if (reg & 8) e.rex |= 1;
        return { bytes: e.emit([0x50 + (reg & 7)], []), defined: always(ALL_FLAGS), text: 'push r' };
      }
      if (kind === 1) {
        const reg = e.destination();
        if (reg & 8) e.rex |= 1;
        return { bytes: e.emit([0x58 + (reg & 7)], []), defined: always(ALL_FLAGS), text: 'pop r' };
      }
      if (kind === 2) return { bytes: rng.bool() ? [0x6a, rng.byte()] : [0x68, ...immediate(rng, 4)], defined: always(ALL_FLAGS), text: 'push imm' };
      if (rng.bool()) {
        // 16-bit pushes and a push/pop of memory
        const reg = e.destination();
        if (reg & 8) e.rex |= 1;
        const form = rng.int(3);
        if (form === 0) return { bytes: [0x66, ...e.emit([0x50 + (reg & 7)], []), 0x66, ...e.emit([0x58 + (reg & 7)], [])], defined: always(ALL_FLAGS), text: 'push/pop r16' };
        if (form === 1) return { bytes: [0x66, 0x68, rng.byte(), rng.byte()], defined: always(ALL_FLAGS), text: 'push imm16' };
        return { bytes: [0xff, 0x73, rng.int(64) * 2, 0x8f, 0x43, rng.int(64) * 2], defined: always(ALL_FLAGS), text: 'push/pop m' };
      }
      return { bytes: [0x9c], defined: always(ALL_FLAGS), text: 'pushf' };
    },
  ],
  // imul 2/3 operand
  [
    4,
    (rng, mode) => {
      const size = randomSize(rng, mode, false);
      const e = new Encoder(rng, mode, size);
      const kind = rng.int(3);
      const rest = e.operand(e.destination(), false);
      if (kind === 0) return { bytes: e.emit([0x0f, 0xaf], rest), defined: always(CF | OF | DF), text: 'imul G,E' };
      if (kind === 1) return { bytes: e.emit([0x6b], [...rest, rng.byte()]), defined: always(CF | OF | DF), text: 'imul G,E,Ib' };
      return { bytes: e.emit([0x69], [...rest, ...immediate(rng, size)]), defined: always(CF | OF | DF), text: 'imul G,E,Iz' };
    },
  ],
  // jcc / loop / jecxz over a one-byte nop
  [
    4,
    (rng) => {
      const kind = rng.int(3);
      if (kind === 0) return { bytes: [0x70 + rng.int(16), 0x01, 0x90], defined: always(ALL_FLAGS), text: 'jcc' };
      if (kind === 1) return { bytes: [0x0f, 0x80 + rng.int(16), 0x01, 0, 0, 0, 0x90], defined: always(ALL_FLAGS), text: 'jcc32' };
      return { bytes: [rng.pick([0xe0, 0xe1, 0xe2, 0xe3]), 0x01, 0x90], defined: always(ALL_FLAGS), text: 'loop' };
    },
  ],
  // string instructions, alone or with rep and a small count
  [
    4,
    (rng, mode) => {
      const size = randomSize(rng, mode);
      const e = new Encoder(rng, mode, size);
      if (e.forceRex) e.forceRex = false;
      const opcode = rng.pick([0xa4, 0xa6, 0xaa, 0xac, 0xae]) + (size === 1 ? 0 : 1);
      const rep = rng.pick([[], [0xf3], [0xf2]]);
      const count = rep.length ? [0xb9, rng.int(6), 0, 0, 0] : [];
      return { bytes: [...count, ...rep, ...e.emit([opcode], [])], defined: always(ALL_FLAGS), text: `string ${opcode.toString(16)}` };
    },
  ],
  // SSE moves and logic
  [
    4,
    (rng, mode) => {
      const kind = rng.int(6);
      const xmmCount = mode === 64 ? 16 : 8;
      const e = new Encoder(rng, mode, 4);
      const a = rng.int(xmmCount);
      const b = rng.int(xmmCount);
      if (kind === 0) return { bytes: [0x66, ...e.emit([0x0f, 0x6e], e.registerForm(a, e.source()))], defined: always(ALL_FLAGS), text: 'movd x,r' };
      if (kind === 1) return { bytes: [0x66, ...e.emit([0x0f, 0x7e], e.registerForm(a, e.destination()))], defined: always(ALL_FLAGS), text: 'movd r,x' };
      if (kind === 2) return { bytes: [0x66, ...e.emit([0x0f, rng.pick([0xef, 0xeb, 0xdb, 0xdf])], e.registerForm(a, b))], defined: always(ALL_FLAGS), text: 'plogic' };
      if (kind === 3) return { bytes: e.emit([0x0f, rng.pick([0x54, 0x55, 0x56, 0x57, 0x28])], e.registerForm(a, b)), defined: always(ALL_FLAGS), text: 'ps logic/movaps' };
      if (kind === 4) return { bytes: [0xf3, ...e.emit([0x0f, rng.pick([0x7f, 0x6f])], e.memoryForm(a))], defined: always(ALL_FLAGS), text: 'movdqu m' };
      return { bytes: [0xf3, ...e.emit([0x0f, 0x7e], e.registerForm(a, b))], defined: always(ALL_FLAGS), text: 'movq x,x' };
    },
  ],
  // pairs that must leave the invariants intact: call/pop, pushad/popad, pushf/popf, enter/leave;
  // and xlat, multi-byte nops
  [
    3,
    (rng, mode) => {
      const e = new Encoder(rng, mode, 4);
      const kind = rng.int(6);
      if (kind === 0) {
        const reg = e.destination();
        if (reg & 8) e.rex |= 1;
        return { bytes: [0xe8, 0, 0, 0, 0, ...e.emit([0x58 + (reg & 7)], [])], defined: always(ALL_FLAGS), text: 'call/pop' };
      }
      if (kind === 1 && mode === 32) return { bytes: [0x60, 0x61], defined: always(ALL_FLAGS), text: 'pushad/popad' };
      if (kind === 2) return { bytes: [0x9c, 0x9d], defined: always(ALL_FLAGS), text: 'pushf/popf' };
      if (kind === 3) return { bytes: [0xc8, rng.byte(), 0, rng.int(3), 0xc9], defined: always(ALL_FLAGS), text: 'enter/leave' };
      if (kind === 4) return { bytes: [0xd7], defined: always(ALL_FLAGS), text: 'xlat' };
      return { bytes: rng.pick([[0x0f, 0x1f, 0x00], [0x0f, 0x1f, 0x40, 0x00], [0x0f, 0x1f, 0x44, 0x00, 0x00], [0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0], [0xf3, 0x90]]), defined: always(ALL_FLAGS), text: 'nop' };
    },
  ],
  // x87 loads and stores with values both engines hold exactly (doubles here, 80-bit in Unicorn)
  [
    2,
    (rng, mode) => {
      const e = new Encoder(rng, mode, 4);
      const kind = rng.int(3);
      if (kind === 0) {
        const constant = rng.pick([0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee]);
        const store = rng.pick([[0xd9, 3], [0xdd, 3], [0xd9, 2], [0xdd, 2]] as const);
        return { bytes: [0xdb, 0xe3, 0xd9, constant, ...e.emit([store[0]], e.memoryForm(store[1]))], defined: always(ALL_FLAGS), text: 'fld const; fst m' };
      }
      if (kind === 1) {
        const constant = rng.pick([0xe8, 0xee]);
        return { bytes: [0xdb, 0xe3, 0xd9, constant, ...e.emit([0xdb], e.memoryForm(7))], defined: always(ALL_FLAGS), text: 'fld1/fldz; fstp m80' };
      }
      const load = e.emit([0xdb], e.memoryForm(0));
      const store = rng.pick([[0xdb, 3], [0xdd, 3], [0xdb, 2]] as const);
      return { bytes: [0xdb, 0xe3, ...load, ...new Encoder(rng, mode, 4).emit([store[0]], new Encoder(rng, mode, 4).memoryForm(store[1]))], defined: always(ALL_FLAGS), text: 'fild m32; fist(p)/fstp m' };
    },
  ],
  // BCD adjustments and salc (32-bit only; in 64-bit mode these encodings are invalid)
  [
    2,
    (rng, mode) => {
      if (mode === 64) return { bytes: [0x90], defined: always(ALL_FLAGS), text: 'nop' };
      const kind = rng.int(5);
      if (kind === 0) return { bytes: [rng.pick([0x27, 0x2f])], defined: always(ALL_FLAGS & ~OF), text: 'daa/das' };
      if (kind === 1) return { bytes: [rng.pick([0x37, 0x3f])], defined: always(CF | AF | DF), text: 'aaa/aas' };
      if (kind === 2) return { bytes: [0xd4, 1 + rng.int(255)], defined: always(SF | ZF | PF | DF), text: 'aam' };
      if (kind === 3) return { bytes: [0xd5, rng.byte()], defined: always(SF | ZF | PF | DF), text: 'aad' };
      return { bytes: [0xd6], defined: always(ALL_FLAGS), text: 'salc' };
    },
  ],
  // x87 GetPC: a non-control x87 instruction, then fnstenv (whose instruction pointer field is checked)
  [
    2,
    (rng, mode) => {
      const e = new Encoder(rng, mode, 4);
      const fpu = rng.pick([[0xd9, 0xee], [0xd9, 0xe8], [0xd9, 0xeb], [0xd9, 0xc9], [0xd9, 0xe1], [0xd9, 0xe0], [0xd9, 0xc0], [0xdd, 0xc0 + rng.int(8)], [0xda, 0xc0 + rng.int(32)], [0xdb, 0xc0 + rng.int(32)]]);
      const store = e.emit([0xd9], e.memoryForm(6));
      return { bytes: [0xdb, 0xe3, ...fpu, ...store], defined: always(ALL_FLAGS), text: `x87 ${fpu.map((b) => b.toString(16)).join(' ')}` };
    },
  ],
];

const totalWeight = generators.reduce((sum, [weight]) => sum + weight, 0);

export function generateInstruction(rng: Random, mode: Mode): Generated {
  let pick = rng.int(totalWeight);
  for (const [weight, generator] of generators) {
    if (pick < weight) return generator(rng, mode);
    pick -= weight;
  }
  return generators[0]![1](rng, mode);
}
