/**
 * Entry points of kernel-mode payloads (the MS17-010 family and others): code that runs as a
 * function called by an exploited driver, so it has no GetPC stub for the user-mode finder to see.
 * Such payloads announce themselves by what only kernel code does — reading IA32_LSTAR, swapgs,
 * gs:[0x38] (the IDT) or gs:[0x188] (the current thread) — and most start with the x86/x64
 * polyglot that picks the right half (`xor eax, eax; inc eax` is `xor eax, eax; rex` in 64-bit
 * mode, so the following jz is taken only there).
 */
import type { ShellcodeCandidate } from './shellcode-finder.ts';

/** how far after an entry the kernel markers may lie */
const MARKER_WINDOW = 8192;
/** bytes compared to drop repeated copies of the same payload (grooming packets carry many) */
const COPY_COMPARE_LENGTH = 128;
const MAX_KERNEL_CANDIDATES = 4;

const MARKERS: ReadonlyArray<{ name: string; bytes: readonly number[] }> = [
  { name: 'rdmsr_lstar', bytes: [0xb9, 0x82, 0x00, 0x00, 0xc0, 0x0f, 0x32] },
  { name: 'swapgs', bytes: [0x0f, 0x01, 0xf8] },
  { name: 'gs_idt', bytes: [0x65, 0x48, 0x8b, 0x04, 0x25, 0x38, 0x00, 0x00, 0x00] },
  { name: 'gs_current_thread', bytes: [0x65, 0x48, 0x8b, 0x04, 0x25, 0x88, 0x01, 0x00, 0x00] },
];

function matchesAt(bytes: Uint8Array, at: number, pattern: readonly number[]): boolean {
  if (at + pattern.length > bytes.length) return false;
  for (let k = 0; k < pattern.length; k++) if (bytes[at + k] !== pattern[k]) return false;
  return true;
}

/** `31 c0 40 [90] (74 xx | 0f 84 xx xx xx xx)`: the x86/x64 dispatch at a kernel payload's start */
function polyglotAt(bytes: Uint8Array, at: number): boolean {
  if (bytes[at] !== 0x31 || bytes[at + 1] !== 0xc0 || bytes[at + 2] !== 0x40) return false;
  const jump = bytes[at + 3] === 0x90 ? at + 4 : at + 3;
  return bytes[jump] === 0x74 || (bytes[jump] === 0x0f && bytes[jump + 1] === 0x84);
}

function markersAfter(bytes: Uint8Array, start: number): string[] {
  const found = new Set<string>();
  const end = Math.min(bytes.length, start + MARKER_WINDOW);
  for (let i = start; i < end; i++) for (const marker of MARKERS) if (matchesAt(bytes, i, marker.bytes)) found.add(marker.name);
  return [...found];
}

/** Kernel payload entries in `bytes`, repeated copies dropped, at most a few. */
export function findKernelEntries(bytes: Uint8Array): ShellcodeCandidate[] {
  const out: ShellcodeCandidate[] = [];
  const seen = new Set<string>();
  for (let i = 0; i + 8 < bytes.length && out.length < MAX_KERNEL_CANDIDATES; i++) {
    if (!polyglotAt(bytes, i)) continue;
    const markers = markersAfter(bytes, i);
    if (markers.length === 0) continue;
    const copy = String.fromCharCode(...bytes.subarray(i, i + COPY_COMPARE_LENGTH));
    if (seen.has(copy)) continue;
    seen.add(copy);
    out.push({ offset: i, score: 5 + markers.length, reasons: [], encoding: 'raw', bytes, sourceOffset: i, hints: { os: 'windows', bits: 64, kernel: true } });
  }
  return out;
}
