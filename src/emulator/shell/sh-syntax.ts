/** The parsed form of a POSIX sh command line. Words stay as written; they are expanded when run. */
export interface Redirect {
  /** the file descriptor redirected (1 for `>`, 0 for `<`), or 'both' for `&>` and `>&file` */
  descriptor: number | 'both';
  operator: string;
  /** the target word as written (a file, `/dev/tcp/h/p`, or a descriptor number for `>&1`) */
  target: string;
}

export type ShCommand =
  | { kind: 'simple'; words: string[]; redirects: Redirect[] }
  | { kind: 'group'; body: ShList; redirects: Redirect[] }
  | { kind: 'if'; clauses: { condition: ShList; body: ShList }[]; otherwise: ShList | null; redirects: Redirect[] }
  | { kind: 'for'; variable: string; items: string[]; body: ShList; redirects: Redirect[] }
  | { kind: 'while'; until: boolean; condition: ShList; body: ShList; redirects: Redirect[] };

export interface ShPipeline {
  negated: boolean;
  commands: ShCommand[];
}

export interface ShAndOr {
  first: ShPipeline;
  rest: { operator: '&&' | '||'; pipeline: ShPipeline }[];
  background: boolean;
}

export type ShList = ShAndOr[];
