/**
 * sh's grammar over the tokens, leniently: lists, and-or chains, pipelines, `( … )` and `{ …; }`
 * groups, if/for/while/until, redirections. Where a real shell would stop with a syntax error
 * (a stray `;` that an injection leaves behind) this reader skips the token and goes on, so that
 * what the attacker meant to run is still seen. Never throws.
 */
import type { Redirect, ShAndOr, ShCommand, ShList, ShPipeline } from './sh-syntax.ts';
import { tokenizeSh, type ShToken } from './sh-tokenizer.ts';

/** groups and compound commands nested deeper than this end the parse: no script needs it, a bomb does */
const MAX_NESTING = 64;
const RESERVED_ENDS = new Set(['then', 'elif', 'else', 'fi', 'do', 'done', '}']);

export function parseSh(text: string): ShList {
  return new ShParser(tokenizeSh(text)).list(new Set());
}

class ShParser {
  private position = 0;
  private nesting = 0;

  constructor(private readonly tokens: ShToken[]) {}

  private peek(): ShToken | undefined {
    return this.tokens[this.position];
  }

  private isWord(text: string): boolean {
    const token = this.peek();
    return token?.kind === 'word' && token.text === text;
  }

  private isOperator(text: string): boolean {
    const token = this.peek();
    return token?.kind === 'operator' && token.text === text;
  }

  private skipNewlines(): void {
    while (this.isOperator('\n') || this.isOperator(';')) this.position++;
  }

  /** and-or chains until the end or one of the words that close an enclosing construct */
  list(ends: Set<string>, closeParenthesis = false): ShList {
    const list: ShList = [];
    while (this.position < this.tokens.length) {
      const token = this.peek()!;
      if (token.kind === 'word' && ends.has(token.text)) break;
      if (closeParenthesis && this.isOperator(')')) break;
      if (token.kind === 'operator' && token.text !== '(') {
        // a separator with nothing before it, or an operator out of place: skip it
        this.position++;
        continue;
      }
      const andOr = this.andOr(ends, closeParenthesis);
      if (!andOr) {
        this.position++;
        continue;
      }
      if (this.isOperator('&')) {
        andOr.background = true;
        this.position++;
      } else if (this.isOperator(';') || this.isOperator('\n')) this.position++;
      list.push(andOr);
    }
    return list;
  }

  private andOr(ends: Set<string>, closeParenthesis: boolean): ShAndOr | null {
    const first = this.pipeline(ends, closeParenthesis);
    if (!first) return null;
    const andOr: ShAndOr = { first, rest: [], background: false };
    while (this.isOperator('&&') || this.isOperator('||')) {
      const operator = this.peek()!.text as '&&' | '||';
      this.position++;
      this.skipNewlinesOnly();
      const next = this.pipeline(ends, closeParenthesis);
      if (next) andOr.rest.push({ operator, pipeline: next });
    }
    return andOr;
  }

  private skipNewlinesOnly(): void {
    while (this.isOperator('\n')) this.position++;
  }

  private pipeline(ends: Set<string>, closeParenthesis: boolean): ShPipeline | null {
    let negated = false;
    if (this.isWord('!')) {
      negated = true;
      this.position++;
    }
    const commands: ShCommand[] = [];
    const first = this.command(ends, closeParenthesis);
    if (!first) return null;
    commands.push(first);
    while (this.isOperator('|') || this.isOperator('|&')) {
      this.position++;
      this.skipNewlinesOnly();
      const next = this.command(ends, closeParenthesis);
      if (next) commands.push(next);
    }
    return { negated, commands };
  }

  private command(ends: Set<string>, closeParenthesis: boolean): ShCommand | null {
    const token = this.peek();
    if (!token) return null;
    const compound = (token.kind === 'operator' && token.text === '(') || (token.kind === 'word' && ['{', 'if', 'for', 'while', 'until'].includes(token.text));
    if (!compound) return this.simpleOrEnd(token, ends, closeParenthesis);
    if (this.nesting >= MAX_NESTING) {
      this.position = this.tokens.length;
      return null;
    }
    this.nesting++;
    try {
      return this.compound(token, ends, closeParenthesis);
    } finally {
      this.nesting--;
    }
  }

  private simpleOrEnd(token: ShToken, ends: Set<string>, closeParenthesis: boolean): ShCommand | null {
    if (token.kind === 'word' && RESERVED_ENDS.has(token.text) && ends.size === 0) {
      this.position++;
      return null;
    }
    return this.simple(ends, closeParenthesis);
  }

  private compound(token: ShToken, ends: Set<string>, closeParenthesis: boolean): ShCommand | null {
    if (token.kind === 'operator' && token.text === '(') {
      this.position++;
      const body = this.list(ends, true);
      if (this.isOperator(')')) this.position++;
      return { kind: 'group', body, redirects: this.redirects() };
    }
    if (token.kind === 'word') {
      switch (token.text) {
        case '{': {
          this.position++;
          const body = this.list(new Set(['}']));
          if (this.isWord('}')) this.position++;
          return { kind: 'group', body, redirects: this.redirects() };
        }
        case 'if':
          return this.ifCommand();
        case 'for':
          return this.forCommand();
        case 'while':
        case 'until':
          return this.whileCommand(token.text === 'until');
      }
    }
    return this.simple(ends, closeParenthesis);
  }

  private simple(ends: Set<string>, closeParenthesis: boolean): ShCommand | null {
    const words: string[] = [];
    const redirects: Redirect[] = [];
    while (this.position < this.tokens.length) {
      const token = this.peek()!;
      if (token.kind === 'operator') {
        if (token.text === '(' && words.length > 0) {
          // `name() {…}` function definitions are not run; the rest of the line is
          this.position++;
          continue;
        }
        if (!(closeParenthesis && token.text === ')') && token.text === ')') {
          this.position++;
          continue;
        }
        break;
      }
      if (token.kind === 'redirect') {
        this.position++;
        redirects.push(this.redirect(token));
        continue;
      }
      if (words.length === 0 && ends.has(token.text)) break;
      words.push(token.text);
      this.position++;
    }
    return words.length === 0 && redirects.length === 0 ? null : { kind: 'simple', words, redirects };
  }

  private redirect(token: ShToken & { kind: 'redirect' }): Redirect {
    const next = this.peek();
    const target = next?.kind === 'word' ? next.text : '';
    if (next?.kind === 'word') this.position++;
    const operator = token.text;
    const both = operator === '&>' || operator === '&>>' || (operator === '>&' && token.descriptor === null && !/^\d+$/.test(target));
    const descriptor = both ? 'both' : (token.descriptor ?? (operator.startsWith('<') ? 0 : 1));
    return { descriptor, operator, target };
  }

  private redirects(): Redirect[] {
    const redirects: Redirect[] = [];
    while (this.peek()?.kind === 'redirect') {
      const token = this.peek() as ShToken & { kind: 'redirect' };
      this.position++;
      redirects.push(this.redirect(token));
    }
    return redirects;
  }

  private ifCommand(): ShCommand {
    this.position++;
    const clauses: { condition: ShList; body: ShList }[] = [];
    let otherwise: ShList | null = null;
    for (;;) {
      const condition = this.list(new Set(['then']));
      if (this.isWord('then')) this.position++;
      const body = this.list(new Set(['elif', 'else', 'fi']));
      clauses.push({ condition, body });
      if (this.isWord('elif')) {
        this.position++;
        continue;
      }
      if (this.isWord('else')) {
        this.position++;
        otherwise = this.list(new Set(['fi']));
      }
      break;
    }
    if (this.isWord('fi')) this.position++;
    return { kind: 'if', clauses, otherwise, redirects: this.redirects() };
  }

  private forCommand(): ShCommand {
    this.position++;
    const variable = this.peek()?.kind === 'word' ? this.peek()!.text : '_';
    this.position++;
    const items: string[] = [];
    if (this.isWord('in')) {
      this.position++;
      while (this.peek()?.kind === 'word' && !this.isWord('do')) {
        items.push(this.peek()!.text);
        this.position++;
      }
    }
    this.skipNewlines();
    if (this.isWord('do')) this.position++;
    const body = this.list(new Set(['done']));
    if (this.isWord('done')) this.position++;
    return { kind: 'for', variable, items, body, redirects: this.redirects() };
  }

  private whileCommand(until: boolean): ShCommand {
    this.position++;
    const condition = this.list(new Set(['do']));
    if (this.isWord('do')) this.position++;
    const body = this.list(new Set(['done']));
    if (this.isWord('done')) this.position++;
    return { kind: 'while', until, condition, body, redirects: this.redirects() };
  }
}
