/**
 * sh word expansion as injections use it: brace expansion (`{wget,http://x/a}`), `~`, quotes,
 * `$VAR`, `${VAR}` with `:-`, `:=`, `#`, `:offset:length` (`${PATH:0:1}` is `/`), `${IFS}`,
 * `$'\x41'`, `$(…)` and backticks, `$((…))`, then field splitting of unquoted results.
 * Never throws; what is not understood stays as written.
 */
import { quotedEnd } from './sh-tokenizer.ts';

export interface ExpansionScope {
  variable(name: string): string | undefined;
  setVariable(name: string, value: string): void;
  /** runs a command substitution, returns its output */
  substitute(script: string): string;
  lastStatus: number;
  positional: string[];
}

interface Piece {
  text: string;
  /** result of an unquoted expansion: split on IFS */
  split: boolean;
}

const MAX_BRACE_FIELDS = 64;

export function expandWords(raws: readonly string[], scope: ExpansionScope): string[] {
  const fields: string[] = [];
  for (const raw of raws) for (const variant of braceExpand(raw)) fields.push(...expandWord(variant, scope));
  return fields;
}

/** one word to its fields */
export function expandWord(raw: string, scope: ExpansionScope): string[] {
  const pieces = expandPieces(raw, scope, false);
  const ifs = scope.variable('IFS') ?? ' \t\n';
  const fields: string[] = [];
  let current = '';
  let started = false;
  for (const piece of pieces) {
    if (!piece.split) {
      current += piece.text;
      started = true;
      continue;
    }
    for (const character of piece.text) {
      if (ifs.includes(character)) {
        if (started) fields.push(current);
        current = '';
        started = false;
      } else {
        current += character;
        started = true;
      }
    }
  }
  if (started) fields.push(current);
  return fields;
}

/** an assignment's value or a redirection target: expanded, not split */
export function expandToString(raw: string, scope: ExpansionScope): string {
  return expandPieces(raw, scope, false)
    .map((piece) => piece.text)
    .join('');
}

function expandPieces(raw: string, scope: ExpansionScope, inDoubleQuotes: boolean): Piece[] {
  const pieces: Piece[] = [];
  const literal = (text: string) => pieces.push({ text, split: false });
  let index = 0;
  if (!inDoubleQuotes && raw.startsWith('~') && (raw.length === 1 || raw[1] === '/')) {
    literal(scope.variable('HOME') ?? '/root');
    index = 1;
  }
  while (index < raw.length) {
    const character = raw[index]!;
    if (character === '\\') {
      const next = raw[index + 1] ?? '';
      if (inDoubleQuotes && !'$`"\\\n'.includes(next)) literal(`\\${next}`);
      else literal(next);
      index += 2;
      continue;
    }
    if (character === "'" && !inDoubleQuotes) {
      const end = quotedEnd(raw, index);
      literal(raw.slice(index + 1, raw[end - 1] === "'" && end - 1 > index ? end - 1 : end));
      index = end;
      continue;
    }
    if (character === '"' && !inDoubleQuotes) {
      const end = quotedEnd(raw, index);
      const inner = raw.slice(index + 1, raw[end - 1] === '"' && end - 1 > index ? end - 1 : end);
      const expanded = expandPieces(inner, scope, true);
      literal(expanded.map((piece) => piece.text).join(''));
      index = end;
      continue;
    }
    if (character === '`') {
      const end = quotedEnd(raw, index);
      const script = raw.slice(index + 1, raw[end - 1] === '`' ? end - 1 : end).replace(/\\([`$\\])/g, '$1');
      pieces.push({ text: trimTrailingNewlines(scope.substitute(script)), split: !inDoubleQuotes });
      index = end;
      continue;
    }
    if (character === '$') {
      const consumed = dollar(raw, index, scope, inDoubleQuotes);
      if (consumed) {
        pieces.push({ text: consumed.text, split: consumed.split && !inDoubleQuotes });
        index = consumed.end;
        continue;
      }
    }
    literal(character);
    index++;
  }
  return pieces;
}

function dollar(raw: string, index: number, scope: ExpansionScope, inDoubleQuotes: boolean): { text: string; end: number; split: boolean } | null {
  const next = raw[index + 1];
  if (next === "'" && !inDoubleQuotes) {
    const end = quotedEnd(raw, index);
    return { text: ansiC(raw.slice(index + 2, raw[end - 1] === "'" ? end - 1 : end)), end, split: false };
  }
  if (next === '(') {
    const end = quotedEnd(raw, index);
    const body = raw.slice(index + 2, raw[end - 1] === ')' ? end - 1 : end);
    if (body.startsWith('(') && body.endsWith(')')) return { text: String(arithmetic(body.slice(1, -1), scope)), end, split: true };
    return { text: trimTrailingNewlines(scope.substitute(body)), end, split: true };
  }
  if (next === '{') {
    const end = quotedEnd(raw, index);
    return { text: parameter(raw.slice(index + 2, raw[end - 1] === '}' ? end - 1 : end), scope), end, split: true };
  }
  const special = next !== undefined && '?$#@*!0123456789-'.includes(next);
  if (special) return { text: specialParameter(next!, scope), end: index + 2, split: true };
  const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(raw.slice(index + 1))?.[0];
  if (!name) return null;
  return { text: scope.variable(name) ?? '', end: index + 1 + name.length, split: true };
}

function specialParameter(name: string, scope: ExpansionScope): string {
  switch (name) {
    case '?':
      return String(scope.lastStatus);
    case '$':
      return '1337';
    case '!':
      return '1338';
    case '#':
      return String(scope.positional.length);
    case '@':
    case '*':
      return scope.positional.join(' ');
    case '0':
      return 'sh';
    case '-':
      return 'hB';
    default:
      return scope.positional[Number(name) - 1] ?? '';
  }
}

/** `${…}`: the forms payloads use; anything else expands to the variable's value */
function parameter(body: string, scope: ExpansionScope): string {
  if (body.startsWith('#')) return String((scope.variable(body.slice(1)) ?? '').length);
  const match = /^([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!])(.*)$/s.exec(body);
  if (!match) return '';
  const name = match[1]!;
  const operation = match[2]!;
  const value = /^[A-Za-z_]/.test(name) ? scope.variable(name) : specialParameter(name, scope);
  const word = () => expandToString(operation.replace(/^:?[-=+?]/, ''), scope);
  if (operation === '') return value ?? '';
  if (/^:?-/.test(operation)) return value === undefined || (operation.startsWith(':') && value === '') ? word() : value;
  if (/^:?=/.test(operation)) {
    if (value === undefined || (operation.startsWith(':') && value === '')) {
      const assigned = word();
      scope.setVariable(name, assigned);
      return assigned;
    }
    return value;
  }
  if (/^:?\+/.test(operation)) return value === undefined || value === '' ? '' : word();
  const substring = /^:\s*(-?\d+)(?::\s*(\d+))?$/.exec(operation);
  if (substring) {
    const text = value ?? '';
    const start = Number(substring[1]) < 0 ? Math.max(0, text.length + Number(substring[1])) : Number(substring[1]);
    return substring[2] === undefined ? text.slice(start) : text.slice(start, start + Number(substring[2]));
  }
  const strip = /^(##?|%%?)(.*)$/s.exec(operation);
  if (strip) return stripPattern(value ?? '', strip[1]!, expandToString(strip[2]!, scope));
  const replace = /^\/(\/?)([^/]*)\/?(.*)$/s.exec(operation);
  if (replace) return replace[1] ? (value ?? '').split(replace[2]!).join(replace[3]!) : (value ?? '').replace(replace[2]!, replace[3]!);
  return value ?? '';
}

/** `${VAR#prefix}` and friends with literal patterns (and a lone `*`) */
function stripPattern(value: string, operator: string, pattern: string): string {
  if (pattern === '*') return operator.startsWith('#') ? (operator === '##' ? '' : value) : operator === '%%' ? '' : value;
  if (operator.startsWith('#')) return value.startsWith(pattern) ? value.slice(pattern.length) : value;
  return value.endsWith(pattern) ? value.slice(0, value.length - pattern.length) : value;
}

function ansiC(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|u[0-9a-fA-F]{4}|.)/g, (_match, escape: string) => {
    if (escape.startsWith('x')) return String.fromCharCode(parseInt(escape.slice(1), 16));
    if (escape.startsWith('u') && escape.length === 5) return String.fromCharCode(parseInt(escape.slice(1), 16));
    if (/^[0-7]+$/.test(escape)) return String.fromCharCode(parseInt(escape, 8) & 0xff);
    return { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"' }[escape] ?? `\\${escape}`;
  });
}

/** `$((…))` with integers, variables and + - * / %: enough for the obfuscations seen */
function arithmetic(expression: string, scope: ExpansionScope): number {
  const substituted = expression.replace(/\$?([A-Za-z_][A-Za-z0-9_]*)/g, (_match, name: string) => String(Number(scope.variable(name) ?? 0) || 0));
  const tokens = substituted.match(/\d+|[-+*/%()]/g) ?? [];
  let position = 0;
  const primary = (): number => {
    const token = tokens[position++];
    if (token === '(') {
      const value = sum();
      position++;
      return value;
    }
    if (token === '-') return -primary();
    return Number(token ?? 0) || 0;
  };
  const product = (): number => {
    let value = primary();
    while (tokens[position] === '*' || tokens[position] === '/' || tokens[position] === '%') {
      const operator = tokens[position++];
      const right = primary();
      value = operator === '*' ? value * right : right === 0 ? 0 : operator === '/' ? Math.trunc(value / right) : value % right;
    }
    return value;
  };
  const sum = (): number => {
    let value = product();
    while (tokens[position] === '+' || tokens[position] === '-') {
      const operator = tokens[position++];
      const right = product();
      value = operator === '+' ? value + right : value - right;
    }
    return value;
  };
  return tokens.length > 256 ? 0 : sum();
}

function trimTrailingNewlines(text: string): string {
  return text.replace(/\n+$/, '');
}

/** `pre{a,b}post` → `preapost`, `prebpost` (unquoted, one level, bounded) */
export function braceExpand(raw: string): string[] {
  let depth = 0;
  let open = -1;
  let quote: string | null = null;
  const commas: number[] = [];
  for (let index = 0; index < raw.length; index++) {
    const character = raw[index]!;
    if (character === '\\') {
      index++;
      continue;
    }
    if (quote) {
      if (character === quote) quote = null;
      continue;
    }
    if (character === "'" || character === '"') quote = character;
    else if (character === '$' && raw[index + 1] === '{') {
      index = quotedEnd(raw, index) - 1;
    } else if (character === '{') {
      if (depth === 0) open = index;
      depth++;
    } else if (character === ',' && depth === 1) commas.push(index);
    else if (character === '}' && depth > 0) {
      depth--;
      if (depth === 0 && commas.length > 0) {
        const prefix = raw.slice(0, open);
        const suffix = raw.slice(index + 1);
        const bounds = [open, ...commas, index];
        const variants: string[] = [];
        for (let part = 0; part + 1 < bounds.length && variants.length < MAX_BRACE_FIELDS; part++) {
          for (const tail of braceExpand(suffix)) variants.push(prefix + raw.slice(bounds[part]! + 1, bounds[part + 1]) + tail);
        }
        return variants.slice(0, MAX_BRACE_FIELDS);
      }
      if (depth === 0) commas.length = 0;
    }
  }
  return [raw];
}
