/**
 * sh's tokens: words (quotes, `$(…)`, `${…}` and backticks kept inside them, as written),
 * control operators and redirections with their descriptor numbers. Unbalanced quotes end at the
 * end of the text, as a lenient reader of hostile input should. Never throws.
 */
export type ShToken = { kind: 'word'; text: string } | { kind: 'operator'; text: string } | { kind: 'redirect'; text: string; descriptor: number | null };

const REDIRECT_OPERATORS = ['<<<', '&>>', '>>', '>|', '>&', '<<', '<&', '<>', '&>', '>', '<'];
const CONTROL_OPERATORS = ['&&', '||', ';;', '|&', ';', '&', '|', '(', ')', '\n'];

export function tokenizeSh(text: string): ShToken[] {
  const tokens: ShToken[] = [];
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) tokens.push({ kind: 'word', text: word });
    word = '';
    inWord = false;
  };
  let index = 0;
  while (index < text.length) {
    const character = text[index]!;
    if (character === '\\') {
      if (text[index + 1] === '\n') {
        index += 2;
        continue;
      }
      word += text.slice(index, index + 2);
      inWord = true;
      index += 2;
      continue;
    }
    if (character === ' ' || character === '\t' || character === '\r') {
      endWord();
      index++;
      continue;
    }
    if (character === '#' && !inWord) {
      while (index < text.length && text[index] !== '\n') index++;
      continue;
    }
    if (character === "'" || character === '"' || character === '`' || (character === '$' && (text[index + 1] === '(' || text[index + 1] === '{' || text[index + 1] === "'"))) {
      const end = quotedEnd(text, index);
      word += text.slice(index, end);
      inWord = true;
      index = end;
      continue;
    }
    const redirect = REDIRECT_OPERATORS.find((operator) => text.startsWith(operator, index));
    if (redirect) {
      const descriptor = inWord && /^\d$/.test(word) ? Number(word) : null;
      if (descriptor !== null) {
        word = '';
        inWord = false;
      } else endWord();
      tokens.push({ kind: 'redirect', text: redirect, descriptor });
      index += redirect.length;
      continue;
    }
    const control = CONTROL_OPERATORS.find((operator) => text.startsWith(operator, index));
    if (control) {
      endWord();
      tokens.push({ kind: 'operator', text: control === ';;' ? ';' : control });
      index += control.length;
      continue;
    }
    word += character;
    inWord = true;
    index++;
  }
  endWord();
  return tokens;
}

/** index just after the quoted or substituted part starting at `start` */
export function quotedEnd(text: string, start: number): number {
  const character = text[start]!;
  if (character === "'") {
    const close = text.indexOf("'", start + 1);
    return close < 0 ? text.length : close + 1;
  }
  if (character === '`') {
    for (let index = start + 1; index < text.length; index++) {
      if (text[index] === '\\') index++;
      else if (text[index] === '`') return index + 1;
    }
    return text.length;
  }
  if (character === '"') {
    for (let index = start + 1; index < text.length; index++) {
      const inner = text[index]!;
      if (inner === '\\') index++;
      else if (inner === '"') return index + 1;
      else if (inner === '`' || (inner === '$' && (text[index + 1] === '(' || text[index + 1] === '{'))) index = quotedEnd(text, index) - 1;
    }
    return text.length;
  }
  // `$'…'`, `$(…)`, `${…}`
  const opener = text[start + 1]!;
  if (opener === "'") {
    for (let index = start + 2; index < text.length; index++) {
      if (text[index] === '\\') index++;
      else if (text[index] === "'") return index + 1;
    }
    return text.length;
  }
  const close = opener === '(' ? ')' : '}';
  let depth = 0;
  for (let index = start + 1; index < text.length; index++) {
    const inner = text[index]!;
    if (inner === '\\') index++;
    else if (inner === "'" && opener === '(') index = quotedEnd(text, index) - 1;
    else if (inner === '"' || inner === '`') index = quotedEnd(text, index) - 1;
    else if (inner === opener) depth++;
    else if (inner === close) {
      depth--;
      if (depth === 0) return index + 1;
    }
  }
  return text.length;
}
