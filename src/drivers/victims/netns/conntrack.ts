/**
 * Where a redirected connection or datagram was really going. The containment namespace's nft
 * rules redirect everything a dummy sends to the front's ports; the kernel's connection tracking
 * keeps the original tuple, and `/proc/<pid>/net/nf_conntrack` of any process in that namespace
 * (the agent) lists it. Node cannot call getsockopt(SO_ORIGINAL_DST), but it can read that file.
 * IPv6 entries spell addresses in full; they are compared and returned in the compressed form.
 */
import { readFileSync } from 'node:fs';
import type { NetworkAddress } from '../../../containment/index.ts';
import { canonicalAddress } from './ip-address.ts';

interface Tuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

function tuples(line: string): Tuple[] {
  const found: Tuple[] = [];
  const pattern = /src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+)/g;
  for (let match = pattern.exec(line); match; match = pattern.exec(line)) {
    found.push({ src: canonicalAddress(match[1]!), dst: canonicalAddress(match[2]!), sport: Number(match[3]), dport: Number(match[4]) });
  }
  return found;
}

/**
 * The original destination of the flow from `source` that was redirected to local port
 * `redirectedPort`; null when conntrack does not know it (the entry expired).
 */
export function originalDestination(agentPid: number, transport: 'tcp' | 'udp', source: NetworkAddress, redirectedPort: number): NetworkAddress | null {
  let table: string;
  try {
    table = readFileSync(`/proc/${agentPid}/net/nf_conntrack`, 'latin1');
  } catch {
    return null;
  }
  const address = canonicalAddress(source.address);
  for (const line of table.split('\n')) {
    if (!line.includes(` ${transport} `)) continue;
    const [original, reply] = tuples(line);
    if (!original || !reply) continue;
    if (original.src === address && original.sport === source.port && reply.sport === redirectedPort && reply.dst === address) {
      return { address: original.dst, port: original.dport };
    }
  }
  return null;
}
