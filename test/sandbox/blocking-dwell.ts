/** Test helper: dummies of a fake driver whose dwell() waits for the test, to see the pool mid-dwell. */
import type { FakeVictimDriver } from '../../src/drivers/victims/fake/fake-victim-driver.ts';

/** Makes the dummies the driver creates from now on wait in dwell() until `release` is called; `entered` resolves when one starts waiting. */
export function blockDwells(driver: FakeVictimDriver): { entered: Promise<void>; release: () => void } {
  let entered!: () => void;
  let release!: () => void;
  const enteredPromise = new Promise<void>((resolve) => (entered = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const create = driver.create.bind(driver);
  driver.create = async (profile, options) => {
    const victim = await create(profile, options);
    const dwell = victim.dwell.bind(victim);
    victim.dwell = async (virtualMs, dwellOptions) => {
      entered();
      await released;
      return dwell(virtualMs, dwellOptions);
    };
    return victim;
  };
  return { entered: enteredPromise, release };
}
