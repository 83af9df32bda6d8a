import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml';
import { CrashtestError } from '../core/index.ts';
import { resolveDummyPaths } from './dummies-schema.ts';
import { configSchema, type Config } from './schema.ts';

export type FrozenConfig = DeepReadonly<Config>;

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * Validates raw input against the schema and freezes the result; errors name the key path.
 * Relative paths of the dummies section resolve against `baseDir` (a file's folder when loaded).
 */
export function validateConfig(raw: unknown, source = 'config', baseDir = process.cwd()): FrozenConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = issue.path.map(String).join('.') || '(root)';
      return `  ${key}: ${issue.message}`;
    });
    const firstKey = result.error.issues[0]?.path.map(String).join('.') ?? '';
    throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${source} is invalid:\n${lines.join('\n')}`, {
      key: firstKey,
      issues: result.error.issues.map((issue) => ({ key: issue.path.join('.'), message: issue.message })),
    });
  }
  return frozen(result.data, baseDir);
}

export function defaultConfig(): FrozenConfig {
  return validateConfig({});
}

/** One problem found in a config file, named by its key path and, for YAML, where it is. */
export interface ConfigIssue {
  /** dotted key path, '(root)' for the whole file */
  key: string;
  message: string;
  /** 1-based line and column in the file, when known */
  line?: number;
  column?: number;
}

export type ConfigCheck = { ok: true; config: FrozenConfig; issues: [] } | { ok: false; issues: ConfigIssue[] };

/**
 * Reads a config file: YAML for .yaml/.yml, JSON otherwise (JSON is YAML too, but a JSON file gets
 * JSON's stricter parser and error messages). Throws CT_ERR_CONFIG_READ or CT_ERR_CONFIG_INVALID.
 */
export function loadConfigFile(path: string): FrozenConfig {
  const checked = checkConfigFile(path);
  if (checked.ok) return checked.config;
  const lines = checked.issues.map((issue) => `  ${formatConfigIssue(issue)}`);
  throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${path} is invalid:\n${lines.join('\n')}`, {
    file: path,
    key: checked.issues[0]?.key ?? '',
    issues: checked.issues.map((issue) => ({ ...issue })),
  });
}

/** Every problem of a config file, for `crashtest config check`; throws CT_ERR_CONFIG_READ only when the file cannot be read. */
export function checkConfigFile(path: string): ConfigCheck {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CrashtestError('CT_ERR_CONFIG_READ', `cannot read config ${path}: ${(error as Error).message}`, { file: path }, { cause: error });
  }
  return checkConfigText(text, /\.ya?ml$/i.test(path) ? 'yaml' : 'json', dirname(resolve(path)));
}

/** `baseDir`: where relative paths of the dummies section point from (the file's folder; default the working directory). */
export function checkConfigText(text: string, format: 'yaml' | 'json', baseDir = process.cwd()): ConfigCheck {
  return format === 'yaml' ? checkYaml(text, baseDir) : checkJson(text, baseDir);
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? '' : ` (line ${issue.line}, column ${issue.column ?? 1})`;
  return `${issue.key}${where}: ${issue.message}`;
}

function checkJson(text: string, baseDir: string): ConfigCheck {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, issues: [{ key: '(root)', message: `not valid JSON: ${(error as Error).message}` }] };
  }
  return checkRaw(raw, baseDir, () => undefined);
}

function checkYaml(text: string, baseDir: string): ConfigCheck {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      issues: document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return { key: '(root)', message: `not valid YAML: ${error.message.split('\n')[0]}`, line: position.line, column: position.col };
      }),
    };
  }
  const locate = (path: readonly PropertyKey[], unknownKey?: string): { line: number; column: number } | undefined => {
    const node = unknownKey === undefined ? document.getIn(path as unknown[], true) : keyNode(document.getIn(path as unknown[], true), unknownKey);
    const offset = isNode(node) ? node.range?.[0] : undefined;
    if (offset === undefined) return path.length > 0 ? locate(path.slice(0, -1)) : undefined;
    const position = lineCounter.linePos(offset);
    return { line: position.line, column: position.col };
  };
  return checkRaw(document.toJS() as unknown, baseDir, locate);
}

function keyNode(map: unknown, key: string): unknown {
  if (!isMap(map)) return undefined;
  return map.items.find((pair) => isScalar(pair.key) && pair.key.value === key)?.key;
}

function checkRaw(raw: unknown, baseDir: string, locate: (path: readonly PropertyKey[], unknownKey?: string) => { line: number; column: number } | undefined): ConfigCheck {
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return { ok: true, config: frozen(result.data, baseDir), issues: [] };
  const issues: ConfigIssue[] = [];
  for (const issue of result.error.issues) {
    // an unknown key is reported on its parent; name the key itself, as an operator looks for it
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    for (const name of unknown) {
      const path = name === undefined ? issue.path : [...issue.path, name];
      const key = path.map(String).join('.') || '(root)';
      const message = name === undefined ? issue.message : `unknown key "${name}" (a typo? every key is listed in docs/config.md)`;
      const position = locate(issue.path, name);
      issues.push({ key, message, ...(position ? { line: position.line, column: position.column } : {}) });
    }
  }
  return { ok: false, issues };
}

function frozen(config: Config, baseDir: string): FrozenConfig {
  resolveDummyPaths(config.dummies, baseDir);
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}


