/**
 * The path rules of netapi32's canonicalisation (NetpwPathCanonicalize and the routines behind
 * NetprPathCompare and NetprNameCanonicalize), and the two ways the vulnerable builds broke them:
 *
 * - MS08-067 (CVE-2008-4250): removing a `..` component searched backwards for the previous `\`
 *   with no lower bound; a path whose `..` components walk above its own start made that search,
 *   and the wcscpy that followed, run below the start of the stack buffer.
 * - MS06-040 (CVE-2006-3439): prefix and path were joined into a fixed stack buffer before the
 *   combined length was checked; a combination longer than MAX_PATH overran it.
 */

export const MAX_PATH = 260;

export type PathVerdict =
  | { kind: 'ok'; canonical: string }
  | { kind: 'above-start'; detail: string }
  | { kind: 'too-long'; length: number };

/** Canonicalises `prefix` + `path` as netapi32 does, or says which bound it breaks first. */
export function canonicalizePath(path: string, prefix = ''): PathVerdict {
  const walk = walkComponents(path.replace(/\//g, '\\'));
  if (walk.kind === 'above-start') return walk;
  const joined = prefix.length > 0 ? `${prefix.replace(/\\+$/, '')}\\${path}` : path;
  if (joined.length > MAX_PATH) return { kind: 'too-long', length: joined.length };
  return { kind: 'ok', canonical: walk.canonical };
}

function walkComponents(path: string): Exclude<PathVerdict, { kind: 'too-long' }> {
  const leadingSeparators = /^\\+/.exec(path)?.[0] ?? '';
  const components = path.slice(leadingSeparators.length).split('\\');
  const kept: string[] = [];
  for (const [index, component] of components.entries()) {
    if (component === '' || component === '.') continue;
    if (component === '..') {
      if (kept.length === 0) {
        return { kind: 'above-start', detail: `component ${index + 1} of ${components.length} is ".." with nothing left to remove: it walks above the start of the path` };
      }
      kept.pop();
      continue;
    }
    kept.push(component);
  }
  return { kind: 'ok', canonical: leadingSeparators + kept.join('\\') };
}
