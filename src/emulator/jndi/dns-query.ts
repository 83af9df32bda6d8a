/**
 * A DNS query message for one name, as the JDK's DNS provider sends it for a JNDI lookup (a TXT
 * query, recursion desired). Labels longer than DNS allows are cut, as the evidence is the name.
 */
export const DNS_TYPE_TXT = 16;
export const DNS_TYPE_A = 1;

const MAX_LABEL = 63;
const MAX_NAME = 253;

export function dnsQuery(id: number, name: string, type = DNS_TYPE_TXT): Uint8Array {
  const encoded = new TextEncoder().encode(name.slice(0, MAX_NAME));
  const labels: number[] = [];
  for (const label of splitLabels(encoded)) labels.push(label.length, ...label);
  labels.push(0);
  return Uint8Array.from([(id >> 8) & 0xff, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, (type >> 8) & 0xff, type & 0xff, 0, 1]);
}

function splitLabels(name: Uint8Array): Uint8Array[] {
  const labels: Uint8Array[] = [];
  let start = 0;
  for (let index = 0; index <= name.length; index++) {
    if (index === name.length || name[index] === 0x2e) {
      if (index > start) labels.push(name.subarray(start, Math.min(index, start + MAX_LABEL)));
      start = index + 1;
    }
  }
  return labels;
}
