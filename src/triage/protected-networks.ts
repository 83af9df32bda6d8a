import { CrashtestError } from '../core/index.ts';

/**
 * Which hosts crashtest defends. Only sessions aimed at a protected host are candidates.
 * A live sensor protects configured CIDR blocks (by default the private ranges). Offline analysis
 * of a capture with no networks configured protects every host that receives traffic: a capture is
 * evidence about its own network whatever its addresses (several real captures were taken on
 * public addresses), so that mode is a named choice here rather than a /0 block.
 */

/** RFC 1918, RFC 4193 unique-local and the link-local ranges of both families. */
export const PRIVATE_NETWORKS: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'];

interface Block {
  version: 4 | 6;
  network: bigint;
  prefixLength: number;
  text: string;
}

export type ProtectionMode = 'networks' | 'every_receiver';

export class ProtectedNetworks {
  private constructor(
    readonly mode: ProtectionMode,
    private readonly blocks: readonly Block[],
  ) {}

  /** Protects the listed CIDR blocks (IPv4 and IPv6); a bare address is a /32 or /128. Throws on a malformed entry. */
  static fromCidrs(cidrs: readonly string[]): ProtectedNetworks {
    return new ProtectedNetworks('networks', cidrs.map((cidr, index) => parseBlock(cidr, `triage.protectedNetworks.${index}`)));
  }

  static privateRanges(): ProtectedNetworks {
    return ProtectedNetworks.fromCidrs(PRIVATE_NETWORKS);
  }

  /** Offline analysis: any host that receives traffic is protected. */
  static everyReceiver(): ProtectedNetworks {
    return new ProtectedNetworks('every_receiver', []);
  }

  /** The CIDR blocks as written (empty in every-receiver mode), for rules and reports. */
  get cidrs(): string[] {
    return this.blocks.map((block) => block.text);
  }

  /** Never throws: an address that does not parse is simply not protected (unless every receiver is). */
  isProtected(address: string): boolean {
    if (this.mode === 'every_receiver') return parseAddress(address) !== null;
    const parsed = parseAddress(address);
    if (!parsed) return false;
    return this.blocks.some((block) => block.version === parsed.version && sameNetwork(parsed.value, block));
  }
}

function sameNetwork(value: bigint, block: Block): boolean {
  const width = block.version === 4 ? 32 : 128;
  const shift = BigInt(width - block.prefixLength);
  return value >> shift === block.network >> shift;
}

function parseBlock(cidr: string, key: string): Block {
  const [addressText, lengthText, extra] = cidr.trim().split('/');
  const parsed = parseAddress(addressText ?? '');
  const width = parsed?.version === 4 ? 32 : 128;
  const prefixLength = lengthText === undefined ? width : /^\d{1,3}$/.test(lengthText) ? Number(lengthText) : NaN;
  if (!parsed || extra !== undefined || !(prefixLength >= 0 && prefixLength <= width)) {
    throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${key}: expected an IPv4 or IPv6 CIDR block such as 10.0.0.0/8 or fc00::/7, found '${cidr}'`, { key });
  }
  return { version: parsed.version, network: parsed.value, prefixLength, text: cidr.trim() };
}

/** Parses dotted-quad IPv4 or IPv6 text (with ::, an embedded IPv4 tail, a %zone) into a number. */
export function parseAddress(text: string): { version: 4 | 6; value: bigint } | null {
  if (text.includes(':')) {
    const value = parseIpv6(text.split('%')[0]!);
    return value === null ? null : { version: 6, value };
  }
  const value = parseIpv4(text);
  return value === null ? null : { version: 4, value: BigInt(value) };
}

function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (let index = 0; index < pieces.length; index++) {
      const piece = pieces[index]!;
      if (index === pieces.length - 1 && piece.includes('.')) {
        const tail = parseIpv4(piece);
        if (tail === null) return null;
        out.push(tail >>> 16, tail & 0xffff);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) out.push(parseInt(piece, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return all.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}
