/**
 * EFLAGS bits and the lazy-flag operation kinds.
 *
 * Arithmetic on 8/16/32-bit operands records only (kind, a, b, result, sign bit); the flags are
 * computed when something reads them — most results are overwritten before a jcc looks at them.
 * Everything else (shifts, multiplies, 64-bit arithmetic, popf …) stores finished bits (`EAGER`).
 */
export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const TF = 0x100;
export const IF = 0x200;
export const DF = 0x400;
export const OF = 0x800;
export const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;

export const LAZY_EAGER = 0;
export const LAZY_ADD = 1;
export const LAZY_ADC = 2;
export const LAZY_SUB = 3;
export const LAZY_SBB = 4;
export const LAZY_LOGIC = 5;
export const LAZY_INC = 6;
export const LAZY_DEC = 7;

/** PARITY[b] is PF (0x4) when the byte has an even number of set bits */
export const PARITY = new Uint8Array(256);
for (let value = 0; value < 256; value++) {
  let bits = 0;
  for (let k = 0; k < 8; k++) bits += (value >> k) & 1;
  PARITY[value] = bits % 2 === 0 ? PF : 0;
}

/** operand size in bytes → mask / sign bit (index 8 unused: 64-bit flags are eager) */
export const SIZE_MASK = [0, 0xff, 0xffff, 0, 0xffffffff, 0, 0, 0, 0xffffffff];
export const SIZE_SIGN = [0, 0x80, 0x8000, 0, 0x80000000, 0, 0, 0, 0x80000000];
