/**
 * Compares version strings the way the advisories write them: "1.0.1f" > "1.0.1",
 * "2.0-beta9" < "2.0", "3.0.25rc3" < "3.0.25", "4.2.37" < "4.2.48".
 * Returns a negative number, zero or a positive number.
 */
export function compareVersions(left: string, right: string): number {
  const leftItems = versionItems(left);
  const rightItems = versionItems(right);
  for (let index = 0; index < Math.max(leftItems.length, rightItems.length); index++) {
    const a = leftItems[index];
    const b = rightItems[index];
    if (a === undefined) return isPreRelease(b!) ? 1 : -1;
    if (b === undefined) return isPreRelease(a) ? -1 : 1;
    const order = compareItems(a, b);
    if (order !== 0) return order;
  }
  return 0;
}

/** inclusive range check; either bound may be omitted */
export function versionBetween(version: string, lowest: string | undefined, highest: string | undefined): boolean {
  if (lowest !== undefined && compareVersions(version, lowest) < 0) return false;
  if (highest !== undefined && compareVersions(version, highest) > 0) return false;
  return true;
}

type Item = number | string;

const PRE_RELEASE = ['alpha', 'beta', 'pre', 'rc'];

function versionItems(version: string): Item[] {
  return (version.toLowerCase().match(/\d+|[a-z]+/g) ?? []).map((item) => (/^\d/.test(item) ? Number(item) : item));
}

function isPreRelease(item: Item): boolean {
  return typeof item === 'string' && PRE_RELEASE.includes(item);
}

function compareItems(a: Item, b: Item): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') {
    const rankA = PRE_RELEASE.indexOf(a);
    const rankB = PRE_RELEASE.indexOf(b);
    if (rankA !== -1 || rankB !== -1) return rankA - rankB;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  // a pre-release tag sorts below any number; a letter suffix ("1.0.1f") also sorts below a further number
  return typeof a === 'string' ? -1 : 1;
}
