/**
 * Log4j 2's StrSubstitutor as 2.0–2.14.1 run it over a logged message: `${` … `}` with nesting,
 * the variable name substituted before it is looked up (so `${${::-j}ndi:…}` works), `:-` defaults
 * split from the substituted name, the result substituted again, `$${` as an escape, unresolved
 * variables left as written. Bounded by `Log4jLookupLimits`; never throws.
 */
import type { Log4jLookupLimits } from './log4j-lookup-limits.ts';

const PREFIX = '${';
const SUFFIX = '}';
const ESCAPE = '$';
const VALUE_DELIMITER = ':-';

/** looks up a variable name after substitution; null when nothing answers */
export type VariableResolver = (variableName: string, hasDefault: boolean, expression: string) => string | null;

interface SubstitutionState {
  lookups: number;
  readonly limits: Log4jLookupLimits;
  readonly resolve: VariableResolver;
  /** variable names being resolved: Log4j refuses a cycle, so do we */
  readonly priorVariables: string[];
  exhausted: boolean;
  readonly onTopLevel: TopLevelObserver | undefined;
}

/** told of each outermost `${…}` once evaluated: what it became, or null when it stayed as written */
export type TopLevelObserver = (expression: string, value: string | null) => void;

export interface SubstitutionResult {
  text: string;
  lookups: number;
  /** a limit cut the evaluation short */
  exhausted: boolean;
}

export function substituteLog4jLookups(text: string, resolve: VariableResolver, limits: Log4jLookupLimits, onTopLevel?: TopLevelObserver): SubstitutionResult {
  const state: SubstitutionState = { lookups: 0, limits, resolve, priorVariables: [], exhausted: false, onTopLevel };
  const substituted = substitute(text, 0, state);
  return { text: substituted, lookups: state.lookups, exhausted: state.exhausted };
}

function substitute(text: string, depth: number, state: SubstitutionState): string {
  if (depth > state.limits.maxDepth) {
    state.exhausted = true;
    return text;
  }
  let output = '';
  let position = 0;
  while (position < text.length) {
    const start = text.indexOf(PREFIX, position);
    if (start < 0) break;
    if (start > 0 && text[start - 1] === ESCAPE) {
      // `$${`: the escape character goes, scanning goes on after it, so `{…}` stays literal
      output += text.slice(position, start - 1) + ESCAPE;
      position = start + 1;
      continue;
    }
    const end = matchingSuffix(text, start + PREFIX.length);
    if (end < 0) break;
    output += text.slice(position, start);
    position = end + SUFFIX.length;
    const expression = text.slice(start, position);
    const value = evaluate(expression, text.slice(start + PREFIX.length, end), depth, state);
    if (depth === 0) state.onTopLevel?.(expression, value === null ? null : value);
    output += value ?? expression;
    if (output.length > state.limits.maxLength) {
      state.exhausted = true;
      return output.slice(0, state.limits.maxLength);
    }
  }
  return output + text.slice(position);
}

/** index of the `}` closing a `${` whose body starts at `from`, counting nested `${`; -1 when none */
function matchingSuffix(text: string, from: number): number {
  let nested = 0;
  for (let index = from; index < text.length; index++) {
    if (text.startsWith(PREFIX, index)) {
      nested++;
      index += PREFIX.length - 1;
    } else if (text[index] === SUFFIX) {
      if (nested === 0) return index;
      nested--;
    }
  }
  return -1;
}

/** the variable's substituted value, or null when it stays as written */
function evaluate(expression: string, body: string, depth: number, state: SubstitutionState): string | null {
  if (state.lookups >= state.limits.maxLookups) {
    state.exhausted = true;
    return null;
  }
  state.lookups++;
  const variableExpression = substitute(body, depth + 1, state);
  const delimiter = variableExpression.indexOf(VALUE_DELIMITER);
  const variableName = delimiter < 0 ? variableExpression : variableExpression.slice(0, delimiter);
  const defaultValue = delimiter < 0 ? null : variableExpression.slice(delimiter + VALUE_DELIMITER.length);
  if (state.priorVariables.includes(variableName)) return null;
  state.priorVariables.push(variableName);
  try {
    const value = state.resolve(variableName, defaultValue !== null, expression) ?? defaultValue;
    return value === null ? null : substitute(value, depth + 1, state);
  } finally {
    state.priorVariables.pop();
  }
}
