/**
 * A strict reader of the Suricata rule subset crashtest writes, after the Suricata rule format
 * (docs.suricata.io, "Rules Format"): action, protocol, source, ports, direction, destination,
 * ports, then `key:value;` options where quoted values escape `"`, `;` and `\` with a backslash
 * and content holds |hex| blocks. Suricata is not installed here, so this stands in for
 * `suricata -T`; it throws on anything Suricata would reject in that subset.
 */
export interface ParsedRule {
  action: string;
  proto: string;
  source: string;
  sourcePort: string;
  destination: string;
  destinationPort: string;
  options: Map<string, string>;
  contentBytes: Buffer[];
}

const HEADER = /^(alert|drop|pass|reject) (tcp|udp|ip|icmp|http|tls|smb|dcerpc) (\S+) (\S+) (->|<>) (\S+) (\S+) \((.*)\)$/;
const ADDRESS = /^(any|\$[A-Z_]+|!?[0-9a-fA-F:.]+(\/\d{1,3})?|\[[^\]\s]+\])$/;
const PORT = /^(any|\d{1,5}|\$[A-Z_]+|\[[\d,:!]+\])$/;

export function parseSuricataRule(rule: string): ParsedRule {
  const header = HEADER.exec(rule);
  if (!header) throw new Error(`rule header malformed: ${rule}`);
  const [, action, proto, source, sourcePort, , destination, destinationPort, body] = header as unknown as string[];
  for (const [value, pattern, what] of [[source, ADDRESS, 'source'], [destination, ADDRESS, 'destination'], [sourcePort, PORT, 'source port'], [destinationPort, PORT, 'destination port']] as const) {
    if (!pattern.test(value!)) throw new Error(`${what} '${value}' malformed`);
  }
  const options = new Map<string, string>();
  const contentBytes: Buffer[] = [];
  for (const [key, value] of splitOptions(body!)) {
    if (key === 'content') contentBytes.push(decodeContent(unquote(value)));
    options.set(key, key === 'msg' || key === 'content' ? unquote(value) : value);
  }
  for (const required of ['msg', 'sid', 'rev']) if (!options.has(required)) throw new Error(`option ${required} missing`);
  if (!/^\d+$/.test(options.get('sid')!) || !/^\d+$/.test(options.get('rev')!)) throw new Error('sid and rev must be integers');
  return { action: action!, proto: proto!, source: source!, sourcePort: sourcePort!, destination: destination!, destinationPort: destinationPort!, options, contentBytes };
}

/** Splits `key:value;` pairs, honouring quotes and backslash escapes inside them. */
function splitOptions(body: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let at = 0;
  while (at < body.length) {
    while (body[at] === ' ') at++;
    if (at >= body.length) break;
    let end = at;
    let quoted = false;
    while (end < body.length && (quoted || body[end] !== ';')) {
      if (body[end] === '\\' && quoted) end++;
      else if (body[end] === '"') quoted = !quoted;
      end++;
    }
    if (end >= body.length) throw new Error(`option not terminated by ';': ${body.slice(at)}`);
    const option = body.slice(at, end);
    const colon = option.indexOf(':');
    const key = colon === -1 ? option : option.slice(0, colon);
    if (!/^[a-z_.0-9]+$/.test(key)) throw new Error(`option name '${key}' malformed`);
    out.push([key, colon === -1 ? '' : option.slice(colon + 1).trim()]);
    at = end + 1;
  }
  return out;
}

function unquote(value: string): string {
  if (!value.startsWith('"') || !value.endsWith('"') || value.length < 2) throw new Error(`expected a quoted value: ${value}`);
  const inner = value.slice(1, -1);
  if (/(^|[^\\])(\\\\)*[";]/.test(inner.replace(/\\[\\";]/g, ''))) throw new Error(`unescaped " or ; in ${value}`);
  return inner.replace(/\\([\\";])/g, '$1');
}

/** Content text with |hex| blocks to bytes; an unescaped ; " \ or a bad hex digit is an error. */
function decodeContent(text: string): Buffer {
  const bytes: number[] = [];
  const parts = text.split('|');
  if (parts.length % 2 === 0) throw new Error(`unbalanced | in content ${text}`);
  parts.forEach((part, index) => {
    if (index % 2 === 1) {
      for (const hex of part.trim().split(/\s+/)) {
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error(`bad hex '${hex}' in content`);
        bytes.push(parseInt(hex, 16));
      }
    } else {
      for (const character of part) {
        if (character === ';' || character === '"' || character === '\\' || character === ':') throw new Error(`'${character}' must be hex-escaped in content`);
        bytes.push(character.charCodeAt(0));
      }
    }
  });
  return Buffer.from(bytes);
}
