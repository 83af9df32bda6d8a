/**
 * Canonical text for IP addresses, because flow keys are built from it: dotted quad for IPv4,
 * RFC 5952 for IPv6 (lowercase, no leading zeros, the longest run of two or more zero groups — the
 * first on a tie — as `::`, and `::ffff:a.b.c.d` for IPv4-mapped addresses, as inet_ntop and tshark
 * print them).
 */

const OCTET = Array.from({ length: 256 }, (_, value) => String(value));
const HEX_GROUP_CACHE_LIMIT = 0x10000;
const hexGroups: string[] = new Array<string>(HEX_GROUP_CACHE_LIMIT);

/**
 * Recently seen IPv4 addresses → their text, direct-mapped on a hash of the address: a busy flow
 * reuses one string instead of building four concatenations per packet, and a typed-array probe
 * is cheaper than a Map keyed by numbers above 2^30.
 */
const IPV4_CACHE_SLOTS = 4096;
const ipv4CacheKeys = new Uint32Array(IPV4_CACHE_SLOTS);
const ipv4CacheText: (string | undefined)[] = new Array<string | undefined>(IPV4_CACHE_SLOTS);

export function formatIpv4(data: Buffer, offset: number): string {
  const b0 = data[offset]!;
  const b1 = data[offset + 1]!;
  const b2 = data[offset + 2]!;
  const b3 = data[offset + 3]!;
  const value = ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
  const slot = (value ^ (value >>> 12) ^ (value >>> 24)) & (IPV4_CACHE_SLOTS - 1);
  const cached = ipv4CacheText[slot];
  if (cached !== undefined && ipv4CacheKeys[slot] === value) return cached;
  const text = OCTET[b0]! + '.' + OCTET[b1]! + '.' + OCTET[b2]! + '.' + OCTET[b3]!;
  ipv4CacheKeys[slot] = value;
  ipv4CacheText[slot] = text;
  return text;
}

function hexGroup(value: number): string {
  let text = hexGroups[value];
  if (text === undefined) {
    text = value.toString(16);
    hexGroups[value] = text;
  }
  return text;
}

/** Recently seen IPv6 addresses, keyed on their four 32-bit words. */
const IPV6_CACHE_SLOTS = 256;
const ipv6CacheWords = new Uint32Array(IPV6_CACHE_SLOTS * 4);
const ipv6CacheText: (string | undefined)[] = new Array<string | undefined>(IPV6_CACHE_SLOTS);

export function formatIpv6(data: Buffer, offset: number): string {
  const w0 = data.readUInt32BE(offset);
  const w1 = data.readUInt32BE(offset + 4);
  const w2 = data.readUInt32BE(offset + 8);
  const w3 = data.readUInt32BE(offset + 12);
  const slot = ((w0 ^ w1 ^ w2 ^ w3 ^ (w3 >>> 8) ^ (w3 >>> 16) ^ (w3 >>> 24)) & (IPV6_CACHE_SLOTS - 1)) >>> 0;
  const base = slot * 4;
  const cached = ipv6CacheText[slot];
  if (
    cached !== undefined &&
    ipv6CacheWords[base] === w0 &&
    ipv6CacheWords[base + 1] === w1 &&
    ipv6CacheWords[base + 2] === w2 &&
    ipv6CacheWords[base + 3] === w3
  ) {
    return cached;
  }
  const text = ipv6Text(data, offset);
  ipv6CacheWords[base] = w0;
  ipv6CacheWords[base + 1] = w1;
  ipv6CacheWords[base + 2] = w2;
  ipv6CacheWords[base + 3] = w3;
  ipv6CacheText[slot] = text;
  return text;
}

function ipv6Text(data: Buffer, offset: number): string {
  if (isIpv4Mapped(data, offset)) return '::ffff:' + formatIpv4(data, offset + 12);
  // longest run of zero groups (length >= 2), first one on a tie
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let group = 0; group < 8; group++) {
    if (data.readUInt16BE(offset + group * 2) === 0) {
      if (runStart < 0) runStart = group;
      const runLength = group - runStart + 1;
      if (runLength > bestLength) {
        bestStart = runStart;
        bestLength = runLength;
      }
    } else {
      runStart = -1;
    }
  }
  let text = '';
  for (let group = 0; group < 8; group++) {
    if (group === bestStart) {
      text += '::';
      group += bestLength - 1;
      continue;
    }
    if (text.length > 0 && !text.endsWith(':')) text += ':';
    text += hexGroup(data.readUInt16BE(offset + group * 2));
  }
  return text;
}

function isIpv4Mapped(data: Buffer, offset: number): boolean {
  return (
    data.readUInt32BE(offset) === 0 &&
    data.readUInt32BE(offset + 4) === 0 &&
    data.readUInt32BE(offset + 8) === 0x0000ffff
  );
}
