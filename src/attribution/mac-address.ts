/**
 * MACs travel through the pipeline as 48-bit integers (exact in a double, see core records); people
 * and switches see them as text or as six octets.
 */
const MAC_TEXT = /^[0-9a-f]{2}([:-]?[0-9a-f]{2}){5}$/i;

/** `aa:bb:cc:dd:ee:ff`, lower case; '' for -1 (no MAC). */
export function formatMac(mac: number): string {
  if (mac < 0) return '';
  const hex = mac.toString(16).padStart(12, '0');
  return hex.match(/../g)!.join(':');
}

/** Accepts `aa:bb:cc:dd:ee:ff`, `aa-bb-…` and `aabbccddeeff`; returns -1 for anything else. */
export function parseMac(text: string): number {
  if (!MAC_TEXT.test(text)) return -1;
  return Number.parseInt(text.replace(/[:-]/g, ''), 16);
}

/** The six octets of a MAC, as SNMP bridge tables index them. */
export function macFromOctets(octets: ArrayLike<number>, offset = 0): number {
  let mac = 0;
  for (let index = 0; index < 6; index++) mac = mac * 256 + (octets[offset + index] ?? 0);
  return mac;
}

export function isMacText(text: string): boolean {
  return MAC_TEXT.test(text);
}
