import { readFileSync } from 'node:fs';

import { CrashtestError } from '../core/index.ts';
import { configSchema, type Config } from './schema.ts';

export type FrozenConfig = DeepReadonly<Config>;

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Validates raw input against the schema and freezes the result; errors name the key path. */
export function validateConfig(raw: unknown, source = 'config'): FrozenConfig {
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
  return deepFreeze(result.data);
}

export function defaultConfig(): FrozenConfig {
  return validateConfig({});
}

/** Reads a JSON config file (YAML arrives with the daemon). */
export function loadConfigFile(path: string): FrozenConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CrashtestError('CT_ERR_CONFIG_READ', `cannot read config ${path}: ${(error as Error).message}`, { file: path }, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CrashtestError('CT_ERR_CONFIG_READ', `config ${path} is not valid JSON: ${(error as Error).message}`, { file: path }, { cause: error });
  }
  return validateConfig(raw, path);
}

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}


