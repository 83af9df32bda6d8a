/**
 * Attacker code in text form: the strings that make a server run something (a JNDI lookup, a
 * Shellshock function definition, a shell fetching a file). They rank a payload the way x86 code
 * does; the dummy decides whether it works.
 */
const MARKERS: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  { name: 'jndi_lookup', pattern: /\$\{(\$\{[^}]{0,40}\}|[^}]){0,40}j(\$\{[^}]{0,40}\}|[^}])?n(\$\{[^}]{0,40}\}|[^}])?d(\$\{[^}]{0,40}\}|[^}])?i/i },
  { name: 'shellshock_function', pattern: /\(\)\s*\{[^}]*;\s*\}\s*;/ },
  { name: 'shell_download', pattern: /\b(wget|curl|tftp|ftp\s+-s)\b[^\r\n]{0,80}(https?:\/\/|\b\d{1,3}(\.\d{1,3}){3}\b)/i },
  { name: 'shell_invocation', pattern: /(\/bin\/(ba)?sh\b|cmd(\.exe)?\s+\/c\b|powershell(\.exe)?\s+-)/i },
];
const EXAMINED_BYTES = 64 * 1024;

export function findInjectionMarkers(payload: Buffer): string[] {
  const raw = payload.subarray(0, EXAMINED_BYTES).toString('latin1');
  // form bodies and query strings carry them percent-encoded (%24%7Bjndi%3A…)
  const decoded = raw.replace(/%([0-9a-f]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16))).replace(/\+/g, ' ');
  return MARKERS.filter((marker) => marker.pattern.test(raw) || marker.pattern.test(decoded)).map((marker) => marker.name);
}
