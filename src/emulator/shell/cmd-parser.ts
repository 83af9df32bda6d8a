/**
 * cmd.exe's reading of a command line: `%VAR%` expanded first, `^` escapes, double quotes,
 * `&`, `&&`, `||`, `|`, parenthesised groups (`(echo open h& echo get f)> s.txt`), then per
 * command its redirections (`>`, `>>`, `<`, `2>`, `2>&1`). Lenient and bounded; never throws.
 */
export interface CmdRedirect {
  descriptor: number;
  operator: '>' | '>>' | '<' | '>&';
  target: string;
}

export type CmdCommand = { kind: 'simple'; text: string; redirects: CmdRedirect[] } | { kind: 'group'; body: CmdList; redirects: CmdRedirect[] };

export interface CmdPipeline {
  commands: CmdCommand[];
}

/** each pipeline with the operator that joins it to the one before (null for the first) */
export type CmdList = { joiner: '&' | '&&' | '||' | null; pipeline: CmdPipeline }[];

export function expandCmdVariables(line: string, environment: ReadonlyMap<string, string>): string {
  return line.replace(/%([^%\s]{1,64})%|%%/g, (match, name: string | undefined) => {
    if (name === undefined) return '%';
    const substring = /^([^:]+):~(-?\d+)(?:,(-?\d+))?$/.exec(name);
    const variable = substring ? substring[1]! : name;
    const value = lookup(environment, variable);
    if (value === undefined) return match;
    if (!substring) return value;
    const start = Number(substring[2]) < 0 ? Math.max(0, value.length + Number(substring[2])) : Number(substring[2]);
    const length = substring[3] === undefined ? undefined : Number(substring[3]);
    return length === undefined ? value.slice(start) : length < 0 ? value.slice(start, value.length + length) : value.slice(start, start + length);
  });
}

function lookup(environment: ReadonlyMap<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of environment) if (key.toLowerCase() === lower) return value;
  return undefined;
}

export function parseCmd(line: string): CmdList {
  const parser = new CmdParser(line);
  return parser.list(false);
}

/** parenthesised groups nested deeper than this are read as text: no script needs it, a bomb does */
const MAX_NESTING = 64;

class CmdParser {
  private position = 0;
  private nesting = 0;

  constructor(private readonly text: string) {}

  list(inGroup: boolean): CmdList {
    const list: CmdList = [];
    let joiner: CmdList[number]['joiner'] = null;
    while (this.position < this.text.length) {
      const pipeline = this.pipeline(inGroup);
      if (pipeline.commands.length > 0) list.push({ joiner: list.length === 0 ? null : joiner, pipeline });
      const operator = this.operator();
      if (operator === ')' && inGroup) break;
      if (operator === null) break;
      joiner = operator === ')' ? '&' : operator;
    }
    return list;
  }

  private operator(): '&' | '&&' | '||' | ')' | null {
    if (this.position >= this.text.length) return null;
    for (const operator of ['&&', '||', '&', ')'] as const) {
      if (this.text.startsWith(operator, this.position)) {
        this.position += operator.length;
        return operator;
      }
    }
    return null;
  }

  private pipeline(inGroup: boolean): CmdPipeline {
    const commands: CmdCommand[] = [];
    for (;;) {
      const command = this.command(inGroup);
      if (command) commands.push(command);
      if (this.text[this.position] === '|' && this.text[this.position + 1] !== '|') {
        this.position++;
        continue;
      }
      return { commands };
    }
  }

  private command(inGroup: boolean): CmdCommand | null {
    while (this.text[this.position] === ' ' || this.text[this.position] === '\t') this.position++;
    if (this.text[this.position] === '(' && this.nesting < MAX_NESTING) {
      this.position++;
      this.nesting++;
      const body = this.list(true);
      this.nesting--;
      const tail = this.segment(inGroup);
      return { kind: 'group', body, redirects: splitRedirects(tail).redirects };
    }
    const segment = this.segment(inGroup);
    if (segment.trim() === '') return null;
    const { text, redirects } = splitRedirects(segment);
    return { kind: 'simple', text, redirects };
  }

  /** text up to the next unquoted, unescaped operator (a `)` only ends it inside a group) */
  private segment(inGroup: boolean): string {
    let segment = '';
    let quoted = false;
    while (this.position < this.text.length) {
      const character = this.text[this.position]!;
      if (character === '"') quoted = !quoted;
      else if (!quoted && character === '^' && this.position + 1 < this.text.length) {
        segment += `^${this.text[this.position + 1]}`;
        this.position += 2;
        continue;
      } else if (!quoted && (character === '&' || character === '|' || (character === ')' && inGroup))) break;
      segment += character;
      this.position++;
    }
    return segment;
  }
}

/** redirections out of a command's text; what is left is the command and its arguments */
function splitRedirects(segment: string): { text: string; redirects: CmdRedirect[] } {
  const redirects: CmdRedirect[] = [];
  let text = '';
  let quoted = false;
  let index = 0;
  while (index < segment.length) {
    const character = segment[index]!;
    if (character === '^' && index + 1 < segment.length) {
      text += segment.slice(index, index + 2);
      index += 2;
      continue;
    }
    if (character === '"') quoted = !quoted;
    if (!quoted && (character === '>' || character === '<')) {
      // a single digit right before the operator, after a space or at the start, is a handle number
      let descriptor = character === '<' ? 0 : 1;
      if (/(^|\s)\d$/.test(text)) {
        descriptor = Number(text[text.length - 1]);
        text = text.slice(0, -1);
      }
      let operator: CmdRedirect['operator'] = character === '<' ? '<' : '>';
      index++;
      if (character === '>' && segment[index] === '>') {
        operator = '>>';
        index++;
      } else if (character === '>' && segment[index] === '&') {
        operator = '>&';
        index++;
      }
      while (segment[index] === ' ') index++;
      let target = '';
      let targetQuoted = false;
      while (index < segment.length && (targetQuoted || !/[\s<>]/.test(segment[index]!))) {
        if (segment[index] === '"') targetQuoted = !targetQuoted;
        else target += segment[index];
        index++;
      }
      redirects.push({ descriptor, operator, target });
      continue;
    }
    text += character;
    index++;
  }
  return { text, redirects };
}

/** a command's words as Windows programs split them: spaces separate, double quotes group, `^` escapes */
export function splitCmdWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let started = false;
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (character === '^' && !quoted && index + 1 < text.length) {
      word += text[++index];
      started = true;
    } else if (character === '"') {
      quoted = !quoted;
      started = true;
    } else if (!quoted && /\s/.test(character)) {
      if (started) words.push(word);
      word = '';
      started = false;
    } else {
      word += character;
      started = true;
    }
  }
  if (started) words.push(word);
  return words;
}

/** `^x` → `x` outside quotes: the text echo prints */
export function removeCaretEscapes(text: string): string {
  let output = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (character === '"') quoted = !quoted;
    if (character === '^' && !quoted && index + 1 < text.length) {
      output += text[++index];
      continue;
    }
    output += character;
  }
  return output;
}
