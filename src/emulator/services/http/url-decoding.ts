/**
 * Percent-decoding the way the emulated servers do it, leniently: a `%` not followed by two hex
 * digits stays as it is (servers differ; none of ours rejects), `+` is a space in form data, and
 * IIS also takes `%uXXXX` (a UTF-16 code unit), which is how Code Red carries its code.
 */
const utf8 = new TextDecoder('utf-8');

export function percentDecodeBytes(text: string, options: { plusAsSpace?: boolean; unicodeEscapes?: boolean } = {}): Uint8Array {
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (character === '%') {
      if (options.unicodeEscapes && (text[index + 1] === 'u' || text[index + 1] === 'U') && /^[0-9a-fA-F]{4}$/.test(text.slice(index + 2, index + 6))) {
        const unit = parseInt(text.slice(index + 2, index + 6), 16);
        bytes.push(unit & 0xff, unit >> 8);
        index += 5;
        continue;
      }
      if (/^[0-9a-fA-F]{2}$/.test(text.slice(index + 1, index + 3))) {
        bytes.push(parseInt(text.slice(index + 1, index + 3), 16));
        index += 2;
        continue;
      }
    }
    if (character === '+' && options.plusAsSpace) {
      bytes.push(0x20);
      continue;
    }
    const code = character.charCodeAt(0);
    if (code < 0x100) bytes.push(code);
    else bytes.push(...new TextEncoder().encode(character));
  }
  return Uint8Array.from(bytes);
}

/** a URL component decoded to text (UTF-8, as Tomcat 8 and Apache log it) */
export function percentDecode(text: string, plusAsSpace = false): string {
  return utf8.decode(percentDecodeBytes(text, { plusAsSpace }));
}

/** `a=1&b=2` as name/value pairs, both decoded as form data */
export function parseParameters(text: string, maxParameters = 256): [string, string][] {
  if (text === '') return [];
  return text
    .split('&')
    .slice(0, maxParameters)
    .filter((pair) => pair !== '')
    .map((pair) => {
      const equals = pair.indexOf('=');
      return equals < 0 ? [percentDecode(pair, true), ''] : [percentDecode(pair.slice(0, equals), true), percentDecode(pair.slice(equals + 1), true)];
    });
}
