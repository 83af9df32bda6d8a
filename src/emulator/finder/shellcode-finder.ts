/**
 * Finds where attacker code may start in a byte stream, by the shapes such code cannot avoid
 * (after Polychronakis et al.): it must learn its own address (GetPC: call/pop, jmp-call-pop,
 * fnstenv after an x87 instruction, rip-relative lea), it often lands on a sled of harmless
 * one-byte instructions, it decodes itself in a short backward loop, and it finds its APIs through
 * the PEB (fs:[0x30], gs:[0x60]) or makes system calls. Each shape is a hit with a weight; hits near
 * each other add up; the best-scoring entry points come back with their reasons.
 */
import { payloadViews, type PayloadEncoding } from './payload-decodings.ts';

export type FindingReason =
  | 'getpc_call_pop'
  | 'getpc_call_forward_pop'
  | 'getpc_jmp_call_pop'
  | 'getpc_call_into_self'
  | 'getpc_fnstenv'
  | 'getpc_rip_lea'
  | 'nop_sled'
  | 'alpha_sled'
  | 'decoder_loop'
  | 'peb_access_fs30'
  | 'peb_access_gs60'
  | 'block_api_prologue'
  | 'linux_int80'
  | 'linux_syscall_socketcall'
  | 'x64_syscall'
  | 'stack_strings';

export interface ShellcodeHints {
  os?: 'windows' | 'linux';
  bits?: 32 | 64;
  /** kernel-mode code (kernel-entries.ts): runs in the emulated Windows x64 kernel */
  kernel?: boolean;
}

export interface Finding {
  /** offset of the feature in the view */
  offset: number;
  /** where running should start for this feature */
  entry: number;
  reason: FindingReason;
  weight: number;
  hints: ShellcodeHints;
  /** for decoder loops: offset of the loop's first instruction */
  loopStart?: number;
}

export interface ShellcodeCandidate {
  /** entry offset in `bytes` */
  offset: number;
  score: number;
  reasons: FindingReason[];
  encoding: PayloadEncoding;
  /** the bytes the offset refers to (the input, or a decoded view of it) */
  bytes: Uint8Array;
  /** approximate offset of the entry in the input (exact for raw bytes) */
  sourceOffset: number;
  hints: ShellcodeHints;
  decoderLoopOffset?: number;
}

export interface FindOptions {
  maxCandidates?: number;
  /** candidates scoring below this are not reported */
  minScore?: number;
  /** how far after an entry its supporting features may lie */
  supportWindow?: number;
}

export const DEFAULT_MIN_SCORE = 4;

/** Searches the input and its decoded views; returns the best candidates, best first. */
export function findShellcode(input: Uint8Array, options: FindOptions = {}): ShellcodeCandidate[] {
  const maxCandidates = options.maxCandidates ?? 8;
  const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
  const window = options.supportWindow ?? 256;
  const all: ShellcodeCandidate[] = [];
  for (const view of payloadViews(input)) {
    const findings = scanFindings(view.bytes);
    for (const candidate of rankEntries(findings, window)) {
      if (candidate.score < minScore) continue;
      const result: ShellcodeCandidate = {
        ...candidate,
        encoding: view.encoding,
        bytes: view.bytes,
        sourceOffset: view.encoding === 'raw' ? candidate.offset : view.sourceOffset,
      };
      all.push(result);
    }
  }
  all.sort((a, b) => b.score - a.score || a.offset - b.offset);
  return dedupe(all).slice(0, maxCandidates);
}

function dedupe(candidates: ShellcodeCandidate[]): ShellcodeCandidate[] {
  const seen = new Set<string>();
  const out: ShellcodeCandidate[] = [];
  for (const candidate of candidates) {
    const key = `${candidate.encoding}:${candidate.sourceOffset}:${candidate.offset}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(candidate);
  }
  return out;
}

/** Groups findings by entry; an entry's score is its own weight plus half of what follows within `window`. */
function rankEntries(findings: Finding[], window: number): Omit<ShellcodeCandidate, 'encoding' | 'bytes' | 'sourceOffset'>[] {
  const entries = new Map<number, Finding[]>();
  for (const finding of findings) {
    const list = entries.get(finding.entry) ?? [];
    list.push(finding);
    entries.set(finding.entry, list);
  }
  const sorted = [...findings].sort((a, b) => a.offset - b.offset);
  const out: Omit<ShellcodeCandidate, 'encoding' | 'bytes' | 'sourceOffset'>[] = [];
  for (const [entry, own] of entries) {
    const reasons = new Set<FindingReason>();
    const hints: ShellcodeHints = {};
    let score = 0;
    let decoderLoopOffset: number | undefined;
    const take = (finding: Finding, weight: number): void => {
      score += weight;
      reasons.add(finding.reason);
      if (finding.hints.os && !hints.os) hints.os = finding.hints.os;
      if (finding.hints.bits && !hints.bits) hints.bits = finding.hints.bits;
      if (finding.reason === 'decoder_loop' && decoderLoopOffset === undefined) decoderLoopOffset = finding.loopStart ?? finding.offset;
    };
    // several findings of one kind at one entry (two jumps back to one loop) count once
    const strongest = new Map<FindingReason, Finding>();
    for (const finding of own) if ((strongest.get(finding.reason)?.weight ?? -1) < finding.weight) strongest.set(finding.reason, finding);
    for (const finding of strongest.values()) take(finding, finding.weight);
    const supportReasons = new Set<FindingReason>();
    for (let k = lowerBound(sorted, entry + 1); k < sorted.length && sorted[k]!.offset <= entry + window; k++) {
      const finding = sorted[k]!;
      // each kind of support counts once, so a long run of one feature cannot outweigh variety
      if (own.includes(finding) || supportReasons.has(finding.reason) || own.some((mine) => mine.reason === finding.reason)) continue;
      supportReasons.add(finding.reason);
      take(finding, finding.weight / 2);
    }
    const candidate: Omit<ShellcodeCandidate, 'encoding' | 'bytes' | 'sourceOffset'> = { offset: entry, score, reasons: [...reasons], hints };
    if (decoderLoopOffset !== undefined) candidate.decoderLoopOffset = decoderLoopOffset;
    out.push(candidate);
  }
  return out;
}

function lowerBound(sorted: Finding[], offset: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]!.offset < offset) low = middle + 1;
    else high = middle;
  }
  return low;
}

// ---- the detectors ------------------------------------------------------------------------------

/** Every feature in one byte view. */
export function scanFindings(bytes: Uint8Array): Finding[] {
  const findings: Finding[] = [];
  findCallPop(bytes, findings);
  findFnstenv(bytes, findings);
  findRipLea(bytes, findings);
  findSleds(bytes, findings);
  findDecoderLoops(bytes, findings);
  findApiResolution(bytes, findings);
  findSystemCalls(bytes, findings);
  findStackStrings(bytes, findings);
  return findings;
}

function isPopRegister(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x58 && byte <= 0x5f && byte !== 0x5c; // pop esp is no GetPC
}

function rel32(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
}

/**
 * Encoders set up a counter or a key right before their GetPC (`xor ecx,ecx; sub ecx,-N`,
 * `mov cl, N`, `mov eax, key`, `cld`). Starting after them leaves the counter at whatever the
 * registers held, so move the entry back over such instructions when they end exactly at it.
 */
export function extendOverSetup(bytes: Uint8Array, entry: number): number {
  for (let steps = 0; steps < 4; steps++) {
    const at = (length: number): number => bytes[entry - length] ?? -1;
    const register = (modrm: number): boolean => modrm >= 0xc0 && ((modrm >> 3) & 7) === (modrm & 7);
    let length = 0;
    if (at(1) === 0xfc) length = 1; // cld
    else if ([0x31, 0x33, 0x29, 0x2b].includes(at(2)) && register(at(1))) length = 2; // clear a register
    else if (at(3) === 0x83 && at(2) >= 0xc0) length = 3; // add/sub/… reg, imm8
    else if (at(2) >= 0xb0 && at(2) <= 0xb7) length = 2; // mov r8, imm8
    else if (at(5) >= 0xb8 && at(5) <= 0xbf) length = 5; // mov r32, imm32
    else if (at(3) === 0x6a && at(1) >= 0x58 && at(1) <= 0x5f && at(1) !== 0x5c) length = 3; // push imm8; pop reg
    else if (at(4) === 0x66 && at(3) >= 0xb8 && at(3) <= 0xbf) length = 4; // mov r16, imm16
    if (length === 0 || entry - length < 0) break;
    entry -= length;
  }
  return entry;
}

function findCallPop(bytes: Uint8Array, findings: Finding[]): void {
  for (let i = 0; i + 5 < bytes.length; i++) {
    if (bytes[i] !== 0xe8) continue;
    const displacement = rel32(bytes, i + 1);
    const target = i + 5 + displacement;
    if (displacement === 0 && isPopRegister(bytes[i + 5])) {
      findings.push({ offset: i, entry: extendOverSetup(bytes, i), reason: 'getpc_call_pop', weight: 6, hints: {} });
    } else if (displacement === -1 && bytes[i + 5]! >= 0xc0 && bytes[i + 5]! <= 0xc7 && isPopRegister(bytes[i + 6])) {
      // call $+4 lands on the call's last byte: FF Cx (inc reg), then pop
      findings.push({ offset: i, entry: extendOverSetup(bytes, i), reason: 'getpc_call_into_self', weight: 6, hints: {} });
    } else if (displacement > 0 && displacement <= 0x400 && isPopRegister(bytes[target])) {
      findings.push({ offset: i, entry: extendOverSetup(bytes, i), reason: 'getpc_call_forward_pop', weight: 5, hints: {} });
    } else if (displacement < -5 && displacement >= -0x400 && target >= 0 && isPopRegister(bytes[target])) {
      // jmp short to the call, call back to the pop: the code starts at the jmp
      const jumpAt = target - 2;
      const entry = jumpAt >= 0 && bytes[jumpAt] === 0xeb && jumpAt + 2 + (bytes[jumpAt + 1]! << 24 >> 24) === i ? extendOverSetup(bytes, jumpAt) : target;
      findings.push({ offset: i, entry, reason: 'getpc_jmp_call_pop', weight: 6, hints: {} });
    }
  }
}

/** x87 opcodes that store an instruction pointer for fnstenv to reveal (any non-control FPU op). */
function isFpuInstruction(bytes: Uint8Array, at: number): boolean {
  const opcode = bytes[at];
  const modrm = bytes[at + 1];
  if (opcode === undefined || modrm === undefined || opcode < 0xd8 || opcode > 0xdf) return false;
  if (opcode === 0xd9 && modrm < 0xc0 && ((modrm >> 3) & 7) >= 4) return false; // fldenv/fldcw/fnstenv/fnstcw
  return modrm >= 0xc0; // register forms: fldz, fld1, fcmov, fxch … need no memory
}

function findFnstenv(bytes: Uint8Array, findings: Finding[]): void {
  for (let i = 0; i + 4 < bytes.length; i++) {
    // fnstenv [esp+disp8]: D9 74 24 xx (disp usually F4 = -12, so the saved FPU IP lands at [esp])
    if (bytes[i] !== 0xd9 || bytes[i + 1] !== 0x74 || bytes[i + 2] !== 0x24) continue;
    let fpuAt = -1;
    for (let back = 2; back <= 16 && i - back >= 0; back++) {
      if (isFpuInstruction(bytes, i - back)) {
        fpuAt = i - back;
        break;
      }
    }
    if (fpuAt < 0) continue;
    // encoders put a `mov reg, imm32` key load before or after the x87 instruction
    let entry = fpuAt;
    for (let back = 1; back <= 7 && fpuAt - back >= 0; back++) {
      const opcode = bytes[fpuAt - back]!;
      if (back === 5 && opcode >= 0xb8 && opcode <= 0xbf) entry = fpuAt - 5;
      if (back === 6 && (opcode === 0x31 || opcode === 0x29 || opcode === 0x33 || opcode === 0x2b) && bytes[fpuAt - 5]! >= 0xc0) entry = fpuAt - 6;
    }
    findings.push({ offset: i, entry: extendOverSetup(bytes, entry), reason: 'getpc_fnstenv', weight: 7, hints: { bits: 32 } });
  }
}

function findRipLea(bytes: Uint8Array, findings: Finding[]): void {
  for (let i = 0; i + 7 <= bytes.length; i++) {
    const rex = bytes[i]!;
    if ((rex !== 0x48 && rex !== 0x4c) || bytes[i + 1] !== 0x8d) continue;
    const modrm = bytes[i + 2]!;
    if ((modrm & 0xc7) !== 0x05) continue; // mod 00, rm 101 = [rip + disp32]
    const displacement = rel32(bytes, i + 3);
    if (displacement < -0x1000 || displacement > 0x1000) continue;
    findings.push({ offset: i, entry: i, reason: 'getpc_rip_lea', weight: 3, hints: { bits: 64 } });
  }
}

/** One-byte instructions that do nothing harmful: nop, inc/dec, push/pop (not esp), xchg eax, flag ops, BCD. */
const SLED = new Uint8Array(256);
for (const byte of [0x90, 0x27, 0x2f, 0x37, 0x3f, 0x98, 0x99, 0x9e, 0x9f, 0xf5, 0xf8, 0xf9, 0xfc, 0xfd]) SLED[byte] = 1;
for (let byte = 0x40; byte <= 0x5f; byte++) if (byte !== 0x44 && byte !== 0x4c && byte !== 0x5c) SLED[byte] = 1;
for (let byte = 0x91; byte <= 0x97; byte++) if (byte !== 0x94) SLED[byte] = 1;

function isPrintable(byte: number): boolean {
  return byte >= 0x20 && byte < 0x7f;
}

function isPrintableRun(bytes: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (!isPrintable(bytes[k]!)) return false;
  return true;
}

/** A run of printable sled bytes is a sled only when code follows it, not more text (a line of
 *  apostrophes in a message, "AAAA" in a header): ask for a few non-text bytes right after it. */
function binaryFollows(bytes: Uint8Array, end: number): boolean {
  let binary = 0;
  for (let k = end; k < Math.min(bytes.length, end + 16); k++) {
    const byte = bytes[k]!;
    if (!isPrintable(byte) && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) binary++;
  }
  return binary >= 4;
}

function isUpperLetter(byte: number): boolean {
  return byte >= 0x41 && byte <= 0x5a;
}

function findSleds(bytes: Uint8Array, findings: Finding[]): void {
  for (let i = 0; i < bytes.length; ) {
    if (SLED[bytes[i]!] === 0) {
      i++;
      continue;
    }
    let end = i;
    let nops = 0;
    let letters = 0;
    const distinct = new Set<number>();
    while (end < bytes.length && SLED[bytes[end]!] === 1) {
      if (bytes[end] === 0x90) nops++;
      if (isUpperLetter(bytes[end]!)) letters++;
      distinct.add(bytes[end]!);
      end++;
    }
    const length = end - i;
    const allLetters = letters === length;
    if (isPrintableRun(bytes, i, end) && !binaryFollows(bytes, end)) {
      i = end;
      continue;
    }
    // text in capitals is a sled by instruction set, but words repeat few letters: ask for much more
    const enough = allLetters ? length >= 48 : nops >= 8 || length >= 24;
    if (enough && !(allLetters && distinct.size > 6 && length < 128)) {
      const reason = allLetters ? 'alpha_sled' : 'nop_sled';
      const weight = Math.min(6, (allLetters ? 2 : 3) + Math.floor(length / 64));
      findings.push({ offset: i, entry: i, reason, weight, hints: {} });
      // the code usually starts where the sled ends: offer that too
      if (end < bytes.length) findings.push({ offset: end, entry: end, reason, weight: weight - 1, hints: {} });
    }
    i = end;
  }
}

/** Does the instruction at `at` modify memory by xor/add/sub (the decoder's work)? */
function isMemoryArithmetic(bytes: Uint8Array, at: number): boolean {
  const opcode = bytes[at]!;
  const modrm = bytes[at + 1];
  if (modrm === undefined || modrm >= 0xc0) return false;
  if (opcode === 0x30 || opcode === 0x31 || opcode === 0x00 || opcode === 0x01 || opcode === 0x28 || opcode === 0x29) return true;
  if (opcode === 0x80 || opcode === 0x81 || opcode === 0x83) {
    const operation = (modrm >> 3) & 7;
    return operation === 0 || operation === 5 || operation === 6; // add, sub, xor
  }
  if ((opcode === 0xf6 || opcode === 0xf7) && ((modrm >> 3) & 7) === 2) return true; // not [mem]
  if ((opcode === 0xc0 || opcode === 0xd0) && ((modrm >> 3) & 7) <= 1) return true; // rol/ror [mem]
  return false;
}

/** Moves a pointer or a counter: inc/dec reg, add/sub reg imm8, lods/stos, sub reg, -4 … */
function isStep(bytes: Uint8Array, at: number): boolean {
  const opcode = bytes[at]!;
  if (opcode >= 0x40 && opcode <= 0x4f) return true;
  if (opcode === 0xac || opcode === 0xad || opcode === 0xaa || opcode === 0xab) return true;
  if (opcode === 0x83 && bytes[at + 1] !== undefined && bytes[at + 1]! >= 0xc0) return true;
  if (opcode === 0x8d) return true; // lea
  return false;
}

function findDecoderLoops(bytes: Uint8Array, findings: Finding[]): void {
  for (let i = 0; i + 1 < bytes.length; i++) {
    const opcode = bytes[i]!;
    // loop, loopne, loope, jnz, jns, jb/jae … with a short backward displacement
    if (opcode !== 0xe2 && opcode !== 0xe0 && opcode !== 0xe1 && opcode !== 0x75 && opcode !== 0x79 && opcode !== 0x72 && opcode !== 0x7c) continue;
    const displacement = (bytes[i + 1]! << 24) >> 24;
    if (displacement > -4 || displacement < -48) continue;
    const loopStart = i + 2 + displacement;
    if (loopStart < 0) continue;
    let arithmetic = false;
    let step = false;
    for (let k = loopStart; k < i; k++) {
      if (!arithmetic && isMemoryArithmetic(bytes, k)) arithmetic = true;
      else if (!step && isStep(bytes, k)) step = true;
    }
    if (!arithmetic || !step) continue;
    const weight = opcode === 0xe2 ? 2.5 : 2;
    findings.push({ offset: i, entry: loopStart, reason: 'decoder_loop', weight, hints: {}, loopStart });
  }
}

function findApiResolution(bytes: Uint8Array, findings: Finding[]): void {
  for (let i = 0; i + 4 < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x64) {
      // mov eax, fs:[0x30] / mov reg, fs:[reg+0x30] / mov reg, fs:[0x30] (modrm disp32)
      const next = bytes[i + 1]!;
      const modrm = bytes[i + 2]!;
      const moffs = next === 0xa1 && rel32(bytes, i + 2) === 0x30;
      const disp8 = next === 0x8b && (modrm & 0xc0) === 0x40 && (modrm & 7) !== 4 && bytes[i + 3] === 0x30;
      const disp32 = (next === 0x8b || next === 0x03) && (modrm & 0xc7) === 0x05 && rel32(bytes, i + 3) === 0x30;
      if (!moffs && !disp8 && !disp32) continue;
      const blockApi = i >= 5 && bytes[i - 5] === 0x60 && bytes[i - 4] === 0x89 && bytes[i - 3] === 0xe5 && bytes[i - 2] === 0x31;
      const entry = blockApi ? i - 5 : i >= 2 && (bytes[i - 2] === 0x31 || bytes[i - 2] === 0x33) && bytes[i - 1]! >= 0xc0 ? i - 2 : i;
      findings.push({ offset: i, entry, reason: blockApi ? 'block_api_prologue' : 'peb_access_fs30', weight: blockApi ? 4 : 3, hints: { os: 'windows', bits: 32 } });
    } else if (byte === 0x65 && (bytes[i + 1] === 0x48 || bytes[i + 1] === 0x4c) && bytes[i + 2] === 0x8b) {
      // mov r64, gs:[0x60] (SIB disp32 form) / gs:[reg+0x60]
      const modrm = bytes[i + 3]!;
      const absolute = (modrm & 0xc7) === 0x04 && bytes[i + 4] === 0x25 && rel32(bytes, i + 5) === 0x60;
      const disp8 = (modrm & 0xc0) === 0x40 && (modrm & 7) !== 4 && bytes[i + 4] === 0x60;
      if (!absolute && !disp8) continue;
      findings.push({ offset: i, entry: i, reason: 'peb_access_gs60', weight: 3, hints: { os: 'windows', bits: 64 } });
    }
  }
}

function findSystemCalls(bytes: Uint8Array, findings: Finding[]): void {
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0xcd && bytes[i + 1] === 0x80) {
      // socketcall: eax = 0x66 set just before (mov al, 0x66 / push 0x66; pop eax)
      let socketcall = false;
      for (let back = 2; back <= 12 && i - back >= 0; back++) {
        if ((bytes[i - back] === 0xb0 && bytes[i - back + 1] === 0x66) || (bytes[i - back] === 0x6a && bytes[i - back + 1] === 0x66 && bytes[i - back + 2] === 0x58)) socketcall = true;
      }
      findings.push({ offset: i, entry: i, reason: socketcall ? 'linux_syscall_socketcall' : 'linux_int80', weight: socketcall ? 2 : 1, hints: { os: 'linux', bits: 32 } });
    } else if (bytes[i] === 0x0f && bytes[i + 1] === 0x05) {
      findings.push({ offset: i, entry: i, reason: 'x64_syscall', weight: 1, hints: { bits: 64 } });
    }
  }
}

/**
 * Code that builds its strings on the stack (`push "ws2_"`, `push "32"`): three or more
 * `push imm32` of printable text close together. The text hints at the system.
 */
function findStackStrings(bytes: Uint8Array, findings: Finding[]): void {
  let runStart = -1;
  let count = 0;
  let last = -1;
  let text = '';
  const flush = (): void => {
    if (count >= 3) {
      const lower = text.toLowerCase();
      const hints: ShellcodeHints = /dll|kern|ws2_|urlm|winexec|cmd\.|load/.test(lower) ? { os: 'windows' } : /\/bin|\/sh|\/\/sh/.test(lower) ? { os: 'linux' } : {};
      findings.push({ offset: runStart, entry: runStart, reason: 'stack_strings', weight: 3, hints });
    }
    runStart = -1;
    count = 0;
    text = '';
  };
  for (let i = 0; i + 5 <= bytes.length; i++) {
    if (bytes[i] !== 0x68) continue;
    let printable = true;
    for (let k = 1; k <= 4; k++) {
      const byte = bytes[i + k]!;
      if (!(byte >= 0x20 && byte < 0x7f) && !(byte === 0 && k > 1)) printable = false;
    }
    if (!printable) continue;
    // between pushes of one string builder there is code, not more text
    if (last >= 0 && (i - last > 16 || (i !== last + 5 && isPrintableRun(bytes, last + 5, i)))) flush();
    if (runStart < 0) runStart = i;
    count++;
    last = i;
    for (let k = 1; k <= 4; k++) if (bytes[i + k]! !== 0) text += String.fromCharCode(bytes[i + k]!);
    i += 4;
  }
  flush();
}
