/**
 * The dependency direction of DESIGN.md, checked rather than remembered:
 * - each top-level folder of src/ may import only the folders listed for it below;
 * - from outside a folder, only its `index.ts` may be imported;
 * - pure stages take no npm packages at all, and native/client packages live only in drivers.
 * Run as a script it prints every violation and exits 1 when there is any.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const PURE = ['core', 'config', 'capture', 'decode', 'flow', 'emulator'];
const STAGES = ['triage', 'replay', 'sandbox', 'containment', 'verdict', 'attribution', 'respond', 'alert'];

/** folder → folders it may import (besides itself) */
export const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  config: ['core'],
  capture: ['core', 'config'],
  decode: ['core', 'config'],
  flow: ['core', 'config', 'decode'],
  emulator: ['core', 'config'],
  ...Object.fromEntries(STAGES.map((stage) => [stage, [...PURE, ...STAGES.filter((other) => other !== stage)]])),
  drivers: [...PURE, ...STAGES],
  daemon: [...PURE, ...STAGES, 'drivers'],
  cli: ['core', 'config', 'daemon', 'web'],
  web: ['core', 'config', 'daemon'],
};

/** npm packages a folder may use; pure folders get none (node: builtins are always fine) */
const PACKAGES: Record<string, readonly string[] | 'any-but-native'> = {
  core: [],
  config: ['zod', 'yaml'],
  capture: [],
  decode: [],
  flow: [],
  emulator: [],
  drivers: 'any-but-native',
};
const NATIVE_ONLY_IN_DRIVERS = ['better-sqlite3', 'net-snmp', 'ioredis', 'bullmq', 'koffi', 'playwright-core'];

export interface Violation {
  file: string;
  specifier: string;
  reason: string;
}

export function checkImports(srcDir: string): Violation[] {
  const violations: Violation[] = [];
  for (const file of listSources(srcDir)) {
    const fromFolder = topFolder(srcDir, file);
    const text = readFileSync(file, 'utf8');
    const info = ts.preProcessFile(text, true, true);
    for (const imported of info.importedFiles) {
      const specifier = imported.fileName;
      const violation = judge(srcDir, file, fromFolder, specifier);
      if (violation) violations.push({ file: relative(srcDir, file), specifier, reason: violation });
    }
  }
  return violations;
}

function judge(srcDir: string, file: string, fromFolder: string, specifier: string): string | null {
  if (specifier.startsWith('node:')) return null;
  if (!specifier.startsWith('.')) return judgePackage(fromFolder, specifier);
  const target = resolve(dirname(file), specifier);
  const relativeTarget = relative(srcDir, target);
  if (relativeTarget.startsWith('..')) return 'imports from outside src/';
  const toFolder = relativeTarget.split(sep)[0]!;
  if (toFolder === fromFolder) return null;
  if (!(fromFolder in ALLOWED)) return `folder src/${fromFolder} is not in the layering table (scripts/check-imports.ts)`;
  if (!ALLOWED[fromFolder]!.includes(toFolder)) {
    return `src/${fromFolder} may not import src/${toFolder} (allowed: ${ALLOWED[fromFolder]!.join(', ') || 'nothing'})`;
  }
  const expectedIndex = join(toFolder, 'index.ts');
  if (relativeTarget !== expectedIndex && relativeTarget !== toFolder) {
    return `imports the inside of src/${toFolder}; import src/${toFolder}/index.ts instead`;
  }
  return null;
}

function judgePackage(fromFolder: string, specifier: string): string | null {
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
  if (NATIVE_ONLY_IN_DRIVERS.includes(name) && fromFolder !== 'drivers') {
    return `package ${name} may be used only in src/drivers`;
  }
  const allowed = PACKAGES[fromFolder];
  if (allowed === undefined || allowed === 'any-but-native') return null;
  if (!allowed.includes(name)) return `src/${fromFolder} is a pure stage and may not use package ${name}`;
  return null;
}

function topFolder(srcDir: string, file: string): string {
  return relative(srcDir, file).split(sep)[0]!;
}

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listSources(path));
    else if (/\.(ts|tsx|js|mjs)$/.test(entry)) out.push(path);
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcDir = resolve(process.argv[2] ?? 'src');
  const violations = checkImports(srcDir);
  for (const violation of violations) {
    console.error(`${violation.file}: import '${violation.specifier}': ${violation.reason}`);
  }
  if (violations.length > 0) {
    console.error(`${violations.length} import(s) go the wrong way`);
    process.exit(1);
  }
  console.log('imports: all go the right way');
}
