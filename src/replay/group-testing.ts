/**
 * Which of several items, delivered together to one dummy, infected it? Adaptive group testing:
 * split the set, re-test each half on a fresh dummy, and follow the halves that still infect.
 * One culprit among n items costs about 2·log2(n) re-tests instead of n.
 */
export interface GroupTestResult<T> {
  culprits: T[];
  /** detonations spent on re-tests */
  tests: number;
}

export async function findCulprits<T>(items: readonly T[], infects: (subset: readonly T[]) => Promise<boolean>, maxTests = 256): Promise<GroupTestResult<T>> {
  let tests = 0;
  const culprits: T[] = [];
  const search = async (subset: readonly T[]): Promise<void> => {
    if (subset.length === 1) {
      culprits.push(subset[0]!);
      return;
    }
    const middle = Math.ceil(subset.length / 2);
    for (const half of [subset.slice(0, middle), subset.slice(middle)]) {
      if (half.length === 0 || tests >= maxTests) continue;
      tests++;
      if (await infects(half)) await search(half);
    }
  };
  await search(items);
  return { culprits, tests };
}
