/**
 * ajv (dev dependency only) loaded with every schema in schemas/, so tests validate events and
 * bundles exactly as a SIEM author would against the published files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';

export const schemaDir = new URL('../../schemas/', import.meta.url);
export const SCHEMA_BASE = 'https://crashtest.invalid/schemas/';

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
for (const name of readdirSync(schemaDir).filter((file) => file.endsWith('.schema.json')).sort()) {
  ajv.addSchema(JSON.parse(readFileSync(new URL(name, schemaDir), 'utf8')) as object);
}

export function validator(name: string): ValidateFunction {
  const validate = ajv.getSchema(SCHEMA_BASE + name);
  if (validate === undefined) throw new Error(`no schema ${name} in schemas/`);
  return validate;
}

/** Asserts nothing; returns ajv's errors as one readable line, or '' when valid. */
export function schemaErrors(name: string, value: unknown): string {
  const validate = validator(name);
  return validate(value) ? '' : ajv.errorsText(validate.errors);
}

export function schemaJson(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, schemaDir), 'utf8')) as Record<string, unknown>;
}
