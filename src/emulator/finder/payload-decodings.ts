/**
 * The decodings protocols put attacker code through before it reaches the vulnerable buffer:
 * URL %XX escapes, the %uXXXX form (IIS and HTML unicode escapes, little-endian 16-bit units),
 * and base64 (HTTP Basic authorization, XML-RPC, mail). Each view keeps a map back to the input.
 */

export type PayloadEncoding = 'raw' | 'url' | 'unicode_url' | 'base64';

export interface PayloadView {
  encoding: PayloadEncoding;
  bytes: Uint8Array;
  /** where view byte 0 came from in the input */
  sourceOffset: number;
}

const MIN_ESCAPES = 8;
const MIN_BASE64_RUN = 48;

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

function isHex(bytes: Uint8Array, at: number, count: number): boolean {
  if (at + count > bytes.length) return false;
  for (let i = 0; i < count; i++) if (hexValue(bytes[at + i]!) < 0) return false;
  return true;
}

function hexNumber(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) value = value * 16 + hexValue(bytes[at + i]!);
  return value;
}

/** Decodes %XX and %uXXXX together, as a server that accepts both would. */
export function decodePercent(bytes: Uint8Array): { bytes: Uint8Array; escapes: number; unicodeEscapes: number } {
  const out = new Uint8Array(bytes.length);
  let length = 0;
  let escapes = 0;
  let unicodeEscapes = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x25 && (bytes[i + 1] === 0x75 || bytes[i + 1] === 0x55) && isHex(bytes, i + 2, 4)) {
      const unit = hexNumber(bytes, i + 2, 4);
      out[length++] = unit & 0xff;
      out[length++] = unit >> 8;
      unicodeEscapes++;
      i += 5;
    } else if (byte === 0x25 && isHex(bytes, i + 1, 2)) {
      out[length++] = hexNumber(bytes, i + 1, 2);
      escapes++;
      i += 2;
    } else {
      out[length++] = byte;
    }
  }
  return { bytes: out.subarray(0, length), escapes, unicodeEscapes };
}

const BASE64_VALUES = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) BASE64_VALUES['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
BASE64_VALUES[0x2d] = 62; // '-' (URL-safe alphabet)
BASE64_VALUES[0x5f] = 63; // '_'

/** Runs of base64 text long enough to carry code, each decoded. */
export function decodeBase64Runs(bytes: Uint8Array): PayloadView[] {
  const views: PayloadView[] = [];
  let start = -1;
  for (let i = 0; i <= bytes.length; i++) {
    const inRun = i < bytes.length && (BASE64_VALUES[bytes[i]!]! >= 0 || (bytes[i] === 0x3d && start >= 0));
    if (inRun && start < 0) start = i;
    if (!inRun && start >= 0) {
      if (i - start >= MIN_BASE64_RUN) {
        const decoded = decodeBase64(bytes.subarray(start, i));
        if (decoded.length > 0 && !isMostlyText(decoded)) views.push({ encoding: 'base64', bytes: decoded, sourceOffset: start });
      }
      start = -1;
    }
  }
  return views;
}

function decodeBase64(text: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let length = 0;
  let buffer = 0;
  let bits = 0;
  for (const byte of text) {
    const value = BASE64_VALUES[byte]!;
    if (value < 0) break; // '=' padding ends the data
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[length++] = (buffer >> bits) & 0xff;
    }
  }
  return out.subarray(0, length);
}

/** Decoded text is someone's data, not code: skip views that are mostly printable ASCII. */
function isMostlyText(bytes: Uint8Array): boolean {
  let printable = 0;
  for (const byte of bytes) if ((byte >= 0x20 && byte < 0x7f) || byte === 0x0a || byte === 0x0d || byte === 0x09) printable++;
  return printable / bytes.length > 0.95;
}

/** The raw bytes plus every decoded view worth searching. */
export function payloadViews(bytes: Uint8Array): PayloadView[] {
  const views: PayloadView[] = [{ encoding: 'raw', bytes, sourceOffset: 0 }];
  const percent = decodePercent(bytes);
  // binary data holds the odd "%4f" by chance (about 30 per MiB): ask for escapes to be common
  const needed = Math.max(MIN_ESCAPES, bytes.length / 1000);
  if (percent.unicodeEscapes >= needed / 2) views.push({ encoding: 'unicode_url', bytes: percent.bytes, sourceOffset: 0 });
  else if (percent.escapes >= needed) views.push({ encoding: 'url', bytes: percent.bytes, sourceOffset: 0 });
  views.push(...decodeBase64Runs(bytes));
  return views;
}
