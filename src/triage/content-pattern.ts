import { findShellcode } from '../emulator/index.ts';

/**
 * The content an IDS can look for in later copies of a proven payload: bytes the attacker chose,
 * never a field the payload key masks (those differ between copies). In order of preference: the
 * trigger the verdict stage saw reach the vulnerable code, the start of the attacker code the
 * finder locates, else the most distinctive window of the payload.
 */
export const PATTERN_LENGTH = 32;
/** payload bytes searched for a window; the attack is nearly always near the start */
const SEARCH_LIMIT = 64 * 1024;
/** characters that injection payloads need and ordinary requests rarely have */
const INJECTION_CHARACTERS = new Set([...'${}|;`<>%\\'].map((character) => character.charCodeAt(0)));

export interface ContentPattern {
  bytes: Buffer;
  /** offset in the client stream where it was taken */
  offset: number;
  source: 'trigger' | 'shellcode' | 'distinctive_window';
}

export function chooseContentPattern(payload: Buffer, masked: ReadonlyArray<[number, number]>, trigger?: Buffer): ContentPattern | null {
  const clear = (start: number, end: number) => end <= payload.length && masked.every(([maskStart, maskEnd]) => end <= maskStart || start >= maskEnd);
  if (trigger && trigger.length > 0) {
    const limited = trigger.subarray(0, 64);
    const at = payload.indexOf(limited);
    if (at !== -1 && clear(at, at + limited.length)) return { bytes: Buffer.from(limited), offset: at, source: 'trigger' };
  }
  const searched = payload.subarray(0, SEARCH_LIMIT);
  for (const candidate of findShellcode(searched, { maxCandidates: 4 })) {
    if (candidate.encoding !== 'raw') continue;
    const start = candidate.sourceOffset;
    const end = Math.min(searched.length, start + PATTERN_LENGTH);
    if (end - start >= 16 && clear(start, end)) return { bytes: Buffer.from(searched.subarray(start, end)), offset: start, source: 'shellcode' };
  }
  return distinctiveWindow(searched, clear);
}

/** The window with the most distinct byte values, weighted toward injection characters; earliest wins ties. */
function distinctiveWindow(bytes: Buffer, clear: (start: number, end: number) => boolean): ContentPattern | null {
  const length = Math.min(PATTERN_LENGTH, bytes.length);
  if (length < 8) return null;
  let best = -1;
  let bestScore = -1;
  const counts = new Uint16Array(256);
  let distinct = 0;
  let special = 0;
  const add = (byte: number, delta: 1 | -1) => {
    if (delta === 1 && counts[byte]++ === 0) distinct++;
    if (delta === -1 && --counts[byte]! === 0) distinct--;
    if (INJECTION_CHARACTERS.has(byte)) special += delta;
  };
  for (let at = 0; at < bytes.length; at++) {
    add(bytes[at]!, 1);
    if (at >= length) add(bytes[at - length]!, -1);
    const start = at - length + 1;
    if (start < 0) continue;
    const score = distinct + 2 * special;
    if (score > bestScore && clear(start, start + length)) {
      best = start;
      bestScore = score;
    }
  }
  return best === -1 ? null : { bytes: Buffer.from(bytes.subarray(best, best + length)), offset: best, source: 'distinctive_window' };
}
