/** 48-bit MAC integer (core's representation) to `aa:bb:cc:dd:ee:ff`; undefined for -1 (unknown). */
export function formatMac(mac: number): string | undefined {
  if (!Number.isInteger(mac) || mac < 0 || mac > 0xffff_ffff_ffff) return undefined;
  return mac.toString(16).padStart(12, '0').match(/../g)!.join(':');
}
