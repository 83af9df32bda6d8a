/**
 * How bash before the Shellshock fixes imports a function from the environment: a value starting
 * with `() {` is parsed as a whole command string, so whatever follows the function body runs.
 * Returns that trailing command, or null when the value is not a function definition.
 */
export interface ImportedFunction {
  /** the command after the function body; empty when nothing follows */
  trailingCommand: string;
  /** the body never closed (bash reports a syntax error and runs nothing) */
  unterminated: boolean;
}

export function importedFunction(value: string): ImportedFunction | null {
  if (!value.startsWith('() {')) return null;
  let depth = 1;
  let quote: string | null = null;
  for (let index = 4; index < value.length; index++) {
    const character = value[index]!;
    if (character === '\\' && quote !== "'") {
      index++;
      continue;
    }
    if (quote) {
      if (character === quote) quote = null;
      continue;
    }
    if (character === "'" || character === '"') quote = character;
    else if (character === '{') depth++;
    else if (character === '}') {
      depth--;
      if (depth === 0) return { trailingCommand: value.slice(index + 1).replace(/^[\s;]+/, '').trim(), unterminated: false };
    }
  }
  return { trailingCommand: '', unterminated: true };
}
