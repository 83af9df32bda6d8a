/**
 * The strings an exploit page builds, decoded without running it. Not a JavaScript engine: only
 * literal strings, `+` concatenation, variables assigned such expressions (in text order, `+=`
 * included), and the decoding calls exploit kits build code with — `unescape`, `String.fromCharCode`
 * over numeric literals, `decodeURIComponent`/`decodeURI`, `atob`, `.replace` of a literal and
 * `.split(…).join(…)`. Anything else makes the expression unknown. Work per script is bounded:
 * script length, parse steps and the characters every result may hold.
 */

export interface DecodedString {
  text: string;
  /** the decoding calls that produced it, outermost first (`unescape`, `fromCharCode`, …) */
  via: string[];
}

export interface ScriptBudget {
  /** characters of one script considered (default 1 MiB) */
  maxScriptChars?: number;
  /** characters one value may grow to; a spray loop's doubling stops there (default 1 Mi) */
  maxValueChars?: number;
  /** parse steps per script (default 400,000) */
  maxSteps?: number;
  /** decoded strings returned per script (default 64) */
  maxResults?: number;
}

interface Value {
  text: string;
  via: string[];
}

class OutOfBudget extends Error {}

const IDENTIFIER = /[A-Za-z_$][\w$]*/y;
const ASSIGNMENT = /(?<![\w$.])([A-Za-z_$][\w$]*)\s*(\+=|=(?!=))/g;
const DECODING_CALL = /(?<![\w$.])(?:unescape|String\s*\.\s*fromCharCode|decodeURIComponent|decodeURI|atob)\s*\(/g;

class ExpressionParser {
  private position = 0;

  constructor(
    private readonly source: string,
    private readonly variables: Map<string, Value>,
    private readonly maxValueChars: number,
    private readonly maxSteps: number,
    private readonly stepsUsed: { count: number },
  ) {}

  /** parses one expression at `start`; the value and where it ended, or null when it is not static */
  parseAt(start: number): { value: Value; end: number } | null {
    this.position = start;
    try {
      const value = this.expression();
      return value ? { value, end: this.position } : null;
    } catch (error) {
      if (error instanceof OutOfBudget) throw error;
      return null;
    }
  }

  private tick(): void {
    if (++this.stepsUsed.count > this.maxSteps) throw new OutOfBudget();
  }

  private skipSpace(): void {
    const source = this.source;
    while (this.position < source.length && /\s/.test(source[this.position]!)) this.position++;
  }

  private peek(text: string): boolean {
    this.skipSpace();
    return this.source.startsWith(text, this.position);
  }

  private eat(text: string): boolean {
    if (!this.peek(text)) return false;
    this.position += text.length;
    return true;
  }

  private expression(): Value | null {
    let left = this.term();
    if (!left) return null;
    while (this.peek('+') && !this.peek('++') && !this.peek('+=')) {
      this.position++;
      const right = this.term();
      if (!right) return null;
      left = this.concat(left, right);
    }
    return left;
  }

  private concat(left: Value, right: Value): Value {
    const text = (left.text + right.text).slice(0, this.maxValueChars);
    return { text, via: [...new Set([...left.via, ...right.via])] };
  }

  private term(): Value | null {
    this.tick();
    let value = this.primary();
    while (value && this.peek('.')) {
      const mark = this.position;
      this.position++;
      this.skipSpace();
      const method = this.identifier();
      if (method === 'replace' && this.eat('(')) value = this.replace(value);
      else if (method === 'split' && this.eat('(')) value = this.splitJoin(value);
      else if ((method === 'toString' || method === 'valueOf') && this.eat('(') && this.eat(')')) continue;
      else {
        this.position = mark;
        return null;
      }
    }
    return value;
  }

  private primary(): Value | null {
    this.skipSpace();
    const char = this.source[this.position];
    if (char === '"' || char === "'") return { text: this.stringLiteral(), via: [] };
    if (char === '(') {
      this.position++;
      const inner = this.expression();
      return inner && this.eat(')') ? inner : null;
    }
    const name = this.dottedName();
    if (name === null) return null;
    if (name === 'String.fromCharCode') return this.eat('(') ? this.fromCharCode() : null;
    const decoder = DECODERS[name.replace(/^window\./, '')];
    if (decoder) {
      if (!this.eat('(')) return null;
      const argument = this.expression();
      if (!argument || !this.eat(')')) return null;
      const text = decoder(argument.text);
      return text === null ? null : { text: text.slice(0, this.maxValueChars), via: [name.replace(/^window\./, ''), ...argument.via] };
    }
    return this.variables.get(name) ?? null;
  }

  private identifier(): string | null {
    IDENTIFIER.lastIndex = this.position;
    const match = IDENTIFIER.exec(this.source);
    if (!match) return null;
    this.position += match[0].length;
    return match[0];
  }

  private dottedName(): string | null {
    this.skipSpace();
    let name = this.identifier();
    if (name === null) return null;
    // `String.fromCharCode`, `window.unescape`: one level of member access on a global
    if ((name === 'String' || name === 'window') && this.peek('.')) {
      const mark = this.position;
      this.position++;
      this.skipSpace();
      const member = this.identifier();
      if (member === null) this.position = mark;
      else name = `${name}.${member}`;
    }
    return name;
  }

  private stringLiteral(): string {
    const source = this.source;
    const quote = source[this.position++]!;
    let out = '';
    while (this.position < source.length) {
      if ((this.position & 63) === 0) this.tick();
      const char = source[this.position++]!;
      if (char === quote) return out;
      if (char === '\n') throw new Error('unterminated string');
      if (char !== '\\') {
        out += char;
        continue;
      }
      const escaped = source[this.position++] ?? '';
      if (escaped === 'x' || escaped === 'u') {
        const length = escaped === 'x' ? 2 : 4;
        const hex = source.slice(this.position, this.position + length);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== length) throw new Error('bad escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.position += length;
      } else if (escaped === '\r' || escaped === '\n') {
        if (escaped === '\r' && source[this.position] === '\n') this.position++;
      } else out += ESCAPES[escaped] ?? escaped;
      if (out.length > this.maxValueChars) throw new OutOfBudget();
    }
    throw new Error('unterminated string');
  }

  private numberLiteral(): number | null {
    this.skipSpace();
    const match = /^(0[xX][0-9a-fA-F]+|\d+)/.exec(this.source.slice(this.position, this.position + 16));
    if (!match) return null;
    this.position += match[0].length;
    return Number(match[0]);
  }

  /** `String.fromCharCode(n, n, …)` with numeric literals, or `a-b`/`a+b`/`a^b` of two literals */
  private fromCharCode(): Value | null {
    const codes: number[] = [];
    if (this.eat(')')) return { text: '', via: ['fromCharCode'] };
    for (;;) {
      this.tick();
      let code = this.numberLiteral();
      if (code === null) return null;
      this.skipSpace();
      const operator = this.source[this.position];
      if (operator === '-' || operator === '+' || operator === '^') {
        this.position++;
        const other = this.numberLiteral();
        if (other === null) return null;
        code = operator === '-' ? code - other : operator === '+' ? code + other : code ^ other;
      }
      codes.push(code & 0xffff);
      if (codes.length > this.maxValueChars) throw new OutOfBudget();
      if (this.eat(')')) break;
      if (!this.eat(',')) return null;
    }
    let text = '';
    for (let index = 0; index < codes.length; index += 4096) text += String.fromCharCode(...codes.slice(index, index + 4096));
    return { text, via: ['fromCharCode'] };
  }

  /** `.replace('x', 'y')` (first occurrence) or `.replace(/literal/g, 'y')`: regular expressions of plain characters only */
  private replace(value: Value): Value | null {
    this.skipSpace();
    let pattern: string;
    let global = false;
    if (this.source[this.position] === '/') {
      const match = /^\/((?:\\.|[^\\/\n*+?{}()[\]|^$])+)\/([gim]*)/.exec(this.source.slice(this.position, this.position + 256));
      if (!match) return null;
      this.position += match[0].length;
      pattern = match[1]!.replace(/\\(.)/g, '$1');
      global = match[2]!.includes('g');
    } else {
      const literal = this.primary();
      if (!literal) return null;
      pattern = literal.text;
    }
    if (!this.eat(',')) return null;
    const replacement = this.expression();
    if (!replacement || !this.eat(')') || pattern.length === 0) return null;
    const text = global ? value.text.split(pattern).join(replacement.text) : value.text.replace(pattern, () => replacement.text);
    return { text: text.slice(0, this.maxValueChars), via: [...value.via, ...replacement.via] };
  }

  /** `.split(x).join(y)` */
  private splitJoin(value: Value): Value | null {
    const separator = this.expression();
    if (!separator || !this.eat(')') || !this.eat('.') || this.identifier() !== 'join' || !this.eat('(')) return null;
    const joiner = this.expression();
    if (!joiner || !this.eat(')')) return null;
    return { text: value.text.split(separator.text).join(joiner.text).slice(0, this.maxValueChars), via: [...value.via, ...joiner.via] };
  }
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '0': '\0' };

const DECODERS: Record<string, (text: string) => string | null> = {
  unescape: jsUnescape,
  decodeURIComponent: (text) => safeDecode(text),
  decodeURI: (text) => safeDecode(text),
  atob: (text) => (/^[A-Za-z0-9+/=\s]*$/.test(text) ? Buffer.from(text, 'base64').toString('latin1') : null),
};

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** JavaScript's `unescape`: `%uXXXX` and `%XX`, anything else as it is. */
export function jsUnescape(text: string): string {
  return text.replace(/%u([0-9a-fA-F]{4})|%([0-9a-fA-F]{2})/g, (_, wide: string | undefined, narrow: string | undefined) =>
    String.fromCharCode(parseInt((wide ?? narrow)!, 16)),
  );
}

/**
 * Decoded strings of one script: the values of variables and of decoding calls that a decoding
 * call produced (plain literals are not interesting on their own). Never throws.
 */
export function decodeScriptStrings(script: string, budget: ScriptBudget = {}): DecodedString[] {
  const source = script.slice(0, budget.maxScriptChars ?? 1024 * 1024);
  const maxValueChars = budget.maxValueChars ?? 1024 * 1024;
  const maxResults = budget.maxResults ?? 64;
  const steps = { count: 0 };
  const variables = new Map<string, Value>();
  const parser = new ExpressionParser(source, variables, maxValueChars, budget.maxSteps ?? 400_000, steps);
  const results = new Map<string, DecodedString>();
  const keep = (value: Value): void => {
    if (value.via.length === 0 || value.text.length === 0 || results.size >= maxResults) return;
    const key = value.text.length > 256 ? `${value.text.length}:${value.text.slice(0, 128)}:${value.text.slice(-128)}` : value.text;
    if (!results.has(key)) results.set(key, { text: value.text, via: value.via });
  };
  try {
    let parsedUpTo = 0;
    for (const match of source.matchAll(ASSIGNMENT)) {
      // an assignment-like text inside an expression already read (a string literal) is not one
      if (match.index! < parsedUpTo) continue;
      const name = match[1]!;
      const operator = match[2]!;
      const parsed = parser.parseAt(match.index! + match[0].length);
      if (parsed) parsedUpTo = parsed.end;
      if (!parsed) {
        if (operator === '=') variables.delete(name);
        continue;
      }
      const previous = variables.get(name);
      const value =
        operator === '+=' ? (previous ? { text: (previous.text + parsed.value.text).slice(0, maxValueChars), via: [...new Set([...previous.via, ...parsed.value.via])] } : null) : parsed.value;
      if (!value) continue;
      variables.set(name, value);
    }
    for (const value of variables.values()) keep(value);
    for (const match of source.matchAll(DECODING_CALL)) {
      const parsed = parser.parseAt(match.index!);
      if (parsed) keep(parsed.value);
    }
  } catch (error) {
    if (!(error instanceof OutOfBudget)) throw error;
  }
  return [...results.values()];
}

/** The bytes a string occupies in a browser's memory: UTF-16LE when it holds `%u` characters, else one byte per character. */
export function stringBytes(text: string): Buffer {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0xff) return Buffer.from(text, 'utf16le');
  return Buffer.from(text, 'latin1');
}

/** A loop that grows a string or array to a large size: the heap spray that places code at a guessable address. */
export function looksLikeHeapSpray(script: string): boolean {
  const text = script.slice(0, 1024 * 1024);
  const sizes: number[] = [];
  for (const match of text.matchAll(/(\.length\s*)?<\s*(0x[0-9a-fA-F]{1,8}\b|\d{1,10}\b)/g)) {
    if (match.index! > 0 && /[\w$]/.test(text[match.index! - 1] ?? '') && !match[1]) continue;
    sizes.push(Number(match[2]));
    if (sizes.length > 4096) break;
  }
  const large = sizes.filter((size) => size >= 0x10000);
  if (large.length === 0) return false;
  return large.some((size) => size >= 0x40000) || growsByDoubling(text);
}

/** `x += x`, `x = x + x` or `x.substring(0, …)`: a string grown by doubling and cut to size */
function growsByDoubling(text: string): boolean {
  if (/\.substring\s*\(\s*0\s*,/.test(text)) return true;
  for (const match of text.matchAll(/\+=|=(?!=)/g)) {
    const at = match.index!;
    const before = /([A-Za-z_$][\w$]{0,63})\s*$/.exec(text.slice(Math.max(0, at - 80), at))?.[1];
    if (!before) continue;
    const after = text.slice(at + match[0].length, at + match[0].length + 160);
    const pattern = match[0] === '+=' ? new RegExp(`^\\s*${escapeName(before)}(?![\\w$])`) : new RegExp(`^\\s*${escapeName(before)}\\s*\\+\\s*${escapeName(before)}(?![\\w$])`);
    if (pattern.test(after)) return true;
  }
  return false;
}

function escapeName(name: string): string {
  return name.replace(/\$/g, '\\$');
}
