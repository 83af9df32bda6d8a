/**
 * Whether a downloaded body is a program, judged by its bytes, never by the Content-Type a hostile
 * server chose: a PE image (MZ header whose e_lfanew points at "PE\0\0"), an ELF image, or an
 * opaque blob. Exploit kits encrypt the payload they deliver (Angler, Nuclear and RIG XOR or RC4 it
 * so that gateways see no MZ; the exploit's shellcode decrypts it on the victim), so a body with no
 * known file signature and near-random bytes (≥ 7.5 bits of entropy per byte over ≥ 4 KiB) is
 * reported as `opaque_binary`. Media, archives and documents have signatures and are never opaque.
 */
export type ExecutableFormat = 'pe' | 'elf' | 'opaque_binary';

export interface ExecutableVerdict {
  format: ExecutableFormat;
  /** bits per byte over the sampled body */
  entropy: number;
}

const OPAQUE_MINIMUM_BYTES = 4096;
const OPAQUE_MINIMUM_ENTROPY = 7.5;
const ENTROPY_SAMPLE = 256 * 1024;

/** Leading bytes of formats that are not programs but are often near-random (compressed media, archives). */
const KNOWN_SIGNATURES: Buffer[] = [
  '89504e47', // PNG
  'ffd8ff', // JPEG
  '47494638', // GIF
  '504b0304', // ZIP, JAR, XAP, OOXML
  '1f8b', // gzip
  '425a68', // bzip2
  'fd377a585a00', // xz
  '377abcaf271c', // 7z
  '52617221', // RAR
  '25504446', // PDF
  '465753', // Flash, uncompressed
  '435753', // Flash, zlib
  '5a5753', // Flash, LZMA
  'cafebabe', // Java class
  '4f676753', // Ogg
  '664c6143', // FLAC
  '494433', // MP3 with ID3
  '1a45dfa3', // Matroska/WebM
  '52494646', // RIFF (WAV, AVI, WebP)
  '774f4646', // WOFF
  '774f4632', // WOFF2
  '00010000', // TrueType
  '4d534346', // CAB
  'd0cf11e0a1b11ae1', // OLE2 (MSI, old Office)
  '4d534654', // MSFT type library
  '50413330', // PA30 delta (Windows Update)
  '4d535043', // MSPC
  '0000001c66747970', // MP4 / ISO media, common box sizes
  '0000002066747970',
  '0000001866747970',
].map((hex) => Buffer.from(hex, 'hex'));

export function classifyExecutable(body: Buffer): ExecutableVerdict | null {
  if (body.length >= 64 && body[0] === 0x4d && body[1] === 0x5a) {
    const peOffset = body.readUInt32LE(0x3c);
    if (peOffset + 4 <= body.length && body.readUInt32BE(peOffset) === 0x50450000) return { format: 'pe', entropy: byteEntropy(body) };
  }
  if (body.length >= 52 && body.readUInt32BE(0) === 0x7f454c46 && (body[4] === 1 || body[4] === 2)) return { format: 'elf', entropy: byteEntropy(body) };
  if (body.length < OPAQUE_MINIMUM_BYTES || hasKnownSignature(body) || looksLikeText(body)) return null;
  const entropy = byteEntropy(body);
  return entropy >= OPAQUE_MINIMUM_ENTROPY ? { format: 'opaque_binary', entropy } : null;
}

function hasKnownSignature(body: Buffer): boolean {
  return KNOWN_SIGNATURES.some((signature) => body.length >= signature.length && body.subarray(0, signature.length).equals(signature));
}

/** Mostly printable ASCII in the first KiB: HTML, JSON, base64 and the like are text, not payloads. */
function looksLikeText(body: Buffer): boolean {
  const sample = body.subarray(0, 1024);
  let printable = 0;
  for (const byte of sample) if ((byte >= 0x20 && byte < 0x7f) || byte === 0x09 || byte === 0x0a || byte === 0x0d) printable++;
  return printable >= sample.length * 0.95;
}

/** Shannon entropy in bits per byte over the first ENTROPY_SAMPLE bytes. */
export function byteEntropy(body: Buffer): number {
  const sample = body.subarray(0, ENTROPY_SAMPLE);
  if (sample.length === 0) return 0;
  const counts = new Uint32Array(256);
  for (const byte of sample) counts[byte]!++;
  let entropy = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const share = count / sample.length;
    entropy -= share * Math.log2(share);
  }
  return entropy;
}
