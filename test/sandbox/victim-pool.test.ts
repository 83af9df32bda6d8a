/** The dummy pool over the fake driver: warm clones, always-revert, limits and their policies, recovery, lifecycle. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCrashtestError, type ErrorCode } from '../../src/core/index.ts';
import { FakeVictimDriver, type FakeVictimDriverOptions } from '../../src/drivers/victims/fake/fake-victim-driver.ts';
import type { FakeVictim } from '../../src/drivers/victims/fake/fake-victim.ts';
import { defaultCatalogue, VictimPool, type PoolSettings, type Victim } from '../../src/sandbox/index.ts';
import { blockDwells } from './blocking-dwell.ts';

const catalogue = defaultCatalogue();
const xp = catalogue.get('win-xp-sp2');
const seven = catalogue.get('win-7-sp1-x64');
const peer = { address: '192.0.2.10', port: 40_000 };

function makePool(settings: Partial<PoolSettings> = {}, driverOptions: FakeVictimDriverOptions = {}): { pool: VictimPool; driver: FakeVictimDriver } {
  const driver = new FakeVictimDriver({ ports: { 445: { kind: 'compromise', trigger: 'EXPLOIT', egressTo: { address: '198.51.100.7', port: 4444 } } }, ...driverOptions });
  const pool = new VictimPool({ driver, settings: { warmPerProfile: 1, maxVictims: 4, dwellMs: 0, ...settings } });
  return { pool, driver };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

const hasCode = (code: ErrorCode, reason?: string) => (error: unknown) =>
  isCrashtestError(error, code) && (reason === undefined || error.details.reason === reason);

async function exploit(victim: Victim, signal: AbortSignal): Promise<string> {
  const connection = await victim.connect(445, peer, { signal });
  await connection!.send(Buffer.from('EXPLOIT'), { signal });
  return victim.id;
}

/** Holds a lease open until `release` is called; resolves `started` once the callback runs. */
function holdLease(pool: VictimPool, profile = xp, options: { signal?: AbortSignal } = {}) {
  const started = deferred();
  const release = deferred();
  let seenSignal: AbortSignal | undefined;
  const lease = pool.withVictim(profile, options, async (victim, signal) => {
    seenSignal = signal;
    started.resolve();
    await release.promise;
    return victim.id;
  });
  return { lease, started: started.promise, release: release.resolve, signal: () => seenSignal! };
}

function states(pool: VictimPool): { leased: number; dwelling: number } {
  const profile = pool.snapshot().profiles.find((each) => each.profileId === xp.id)!;
  return { leased: profile.leased, dwelling: profile.dwelling };
}

describe('victim pool', () => {
  describe('warm clones', () => {
    it('warm() creates warmPerProfile clones of each profile, counted pool.created', async () => {
      const { pool, driver } = makePool({ warmPerProfile: 2, maxVictims: 8 });
      await pool.warm([xp, seven]);
      const snapshot = pool.snapshot();
      assert.deepEqual(
        snapshot.profiles.map(({ profileId, warm }) => ({ profileId, warm })),
        [
          { profileId: xp.id, warm: 2 },
          { profileId: seven.id, warm: 2 },
        ],
      );
      assert.equal(snapshot.total, 4);
      assert.equal(pool.counters.get('pool.created'), 4);
      assert.equal(driver.stats.created, 4);
      await pool.close();
    });

    it('warm() stops at maxVictims, and throws when the driver cannot create', async () => {
      const { pool } = makePool({ warmPerProfile: 3, maxVictims: 2 });
      await pool.warm([xp]);
      assert.equal(pool.snapshot().total, 2);
      await pool.close();
      const failing = makePool({}, { faults: { createFailures: 1 } });
      await assert.rejects(failing.pool.warm([xp]), hasCode('CT_ERR_VICTIM_CREATE'));
      assert.equal(failing.pool.counters.get('pool.create_failures'), 1);
      await failing.pool.close();
    });

    it('a lease takes a warm clone and the pool refills behind it; the reverted clone goes back warm', async () => {
      const { pool } = makePool();
      await pool.warm([xp]);
      const held = holdLease(pool);
      await held.started;
      await new Promise((resolve) => setImmediate(resolve));
      const during = pool.snapshot().profiles[0]!;
      assert.deepEqual({ warm: during.warm, leased: during.leased }, { warm: 1, leased: 1 });
      held.release();
      await held.lease;
      assert.equal(pool.snapshot().profiles[0]!.warm, 2);
      await pool.close();
    });
  });

  describe('leases', () => {
    it('returns the result with the observations, always reverts, and the next lease starts clean', async () => {
      const { pool, driver } = makePool();
      const first = await pool.withVictim(xp, {}, exploit);
      assert.equal(first.profileId, xp.id);
      assert.equal(first.result, first.victimId);
      assert.deepEqual(first.observations.map((observation) => observation.source), ['dummy', 'containment']);
      assert.equal(driver.stats.reverts, 1);
      assert.equal(pool.counters.get('pool.reverts'), 1);
      const second = await pool.withVictim(xp, {}, async (victim) => victim.observations().length);
      assert.equal(second.result, 0, 'the next lease saw the earlier one');
      assert.equal(second.victimId, first.victimId, 'the reverted clone is reused');
      assert.equal(pool.counters.get('pool.leases'), 2);
      await pool.close();
    });

    it('reverts when the callback throws, and passes the error on', async () => {
      const { pool, driver } = makePool();
      await assert.rejects(
        pool.withVictim(xp, {}, async (victim, signal) => {
          await exploit(victim, signal);
          throw new Error('delivery failed');
        }),
        /delivery failed/,
      );
      assert.equal(driver.stats.reverts, 1);
      assert.equal(pool.snapshot().profiles[0]!.leased, 0);
      assert.equal(pool.counters.get('pool.leases_active'), 0);
      await pool.close();
    });

    it('pool.leases_active counts the leases in flight', async () => {
      const { pool } = makePool();
      const first = holdLease(pool);
      const second = holdLease(pool);
      await Promise.all([first.started, second.started]);
      assert.equal(pool.counters.get('pool.leases_active'), 2);
      first.release();
      second.release();
      await Promise.all([first.lease, second.lease]);
      assert.equal(pool.counters.get('pool.leases_active'), 0);
      await pool.close();
    });

    it('dwell runs after the callback and before the observations are collected', async () => {
      const { pool, driver } = makePool({}, { ports: { 445: { kind: 'compromise', trigger: 'EXPLOIT', wakesAfterMs: 300_000 } } });
      const short = await pool.withVictim(xp, { dwellMs: 60_000 }, exploit);
      assert.equal(short.observations.length, 0, 'the payload sleeps longer than this dwell');
      assert.equal(short.dwellMs, 60_000);
      const long = await pool.withVictim(xp, { dwellMs: 600_000 }, exploit);
      assert.equal(long.observations.length, 1);
      const [woken] = long.observations;
      assert.ok(woken?.source === 'dummy' && woken.observation.at === 600_000);
      assert.equal(driver.stats.dwells, 2);
      const settingsDwell = makePool({ dwellMs: 300_000 }, { ports: { 445: { kind: 'compromise', trigger: 'EXPLOIT', wakesAfterMs: 300_000 } } });
      assert.equal((await settingsDwell.pool.withVictim(xp, {}, exploit)).observations.length, 1, 'settings.dwellMs applies when the lease names none');
      await pool.close();
      await settingsDwell.pool.close();
    });

    it('a leased dummy in its dwell window counts as dwelling, apart from leased, until the dwell ends', async () => {
      const { pool, driver } = makePool({ warmPerProfile: 0 });
      const dwell = blockDwells(driver);
      let delivered = false;
      const lease = pool.withVictim(xp, { dwellMs: 60_000 }, async (victim, signal) => {
        await exploit(victim, signal);
        assert.deepEqual(states(pool), { leased: 1, dwelling: 0 }, 'being replayed into: leased');
        delivered = true;
        return victim.id;
      });
      await dwell.entered;
      assert.ok(delivered);
      assert.deepEqual(states(pool), { leased: 0, dwelling: 1 }, 'in the dwell window: dwelling');
      assert.equal(pool.snapshot().leasesActive, 1, 'a dwelling dummy is still leased');
      dwell.release();
      const outcome = await lease;
      assert.equal(outcome.dwellMs, 60_000);
      assert.deepEqual(states(pool), { leased: 0, dwelling: 0 });
      assert.equal(pool.snapshot().profiles[0]!.warm, 1, 'reverted and warm again');
      await pool.close();
    });

    it("the replay code's own dwell (the detonator calls victim.dwell) counts as dwelling too, and a failed dwell ends it", async () => {
      const { pool, driver } = makePool({ warmPerProfile: 0 });
      const dwell = blockDwells(driver);
      const lease = pool.withVictim(xp, { dwellMs: 0 }, async (victim, signal) => {
        await exploit(victim, signal);
        await victim.dwell(600_000, { signal });
        assert.deepEqual(states(pool), { leased: 1, dwelling: 0 }, 'back to leased after the dwell');
        return victim.id;
      });
      await dwell.entered;
      assert.deepEqual(states(pool), { leased: 0, dwelling: 1 });
      dwell.release();
      await lease;
      assert.equal(driver.stats.dwells, 1, 'the pool added no dwell of its own (dwellMs 0)');
      await pool.close();

      const other = makePool({ warmPerProfile: 0 });
      const failing = blockDwells(other.driver);
      const controller = new AbortController();
      const aborted = other.pool.withVictim(xp, { signal: controller.signal, dwellMs: 0 }, async (victim, signal) => victim.dwell(600_000, { signal }));
      await failing.entered;
      assert.deepEqual(states(other.pool), { leased: 0, dwelling: 1 });
      controller.abort(new Error('job cancelled'));
      failing.release();
      await assert.rejects(aborted, /job cancelled/);
      assert.deepEqual(states(other.pool), { leased: 0, dwelling: 0 });
      assert.equal(other.pool.snapshot().profiles[0]!.warm, 1, 'reverted and warm again');
      await other.pool.close();
    });

    it('an abort during the lease reaches the callback; the victim is still reverted', async () => {
      const { pool, driver } = makePool();
      const controller = new AbortController();
      const held = holdLease(pool, xp, { signal: controller.signal });
      await held.started;
      const reason = new Error('job cancelled');
      controller.abort(reason);
      assert.equal(held.signal().aborted, true);
      assert.equal(held.signal().reason, reason);
      held.release();
      await held.lease;
      assert.equal(driver.stats.reverts, 1);
      await pool.close();
    });

    it('a profile the driver does not support is refused with CT_ERR_INVALID_ARGUMENT and never kept warm', async () => {
      const { pool } = makePool({}, { os: ['windows'] });
      const linux = catalogue.get('linux-apache-bash-cgi');
      await assert.rejects(pool.withVictim(linux, {}, exploit), hasCode('CT_ERR_INVALID_ARGUMENT'));
      await assert.rejects(pool.warm([linux]), hasCode('CT_ERR_INVALID_ARGUMENT'));
      assert.deepEqual(pool.snapshot().profiles, []);
      await pool.close();
    });

    it('an already aborted signal rejects before leasing', async () => {
      const { pool } = makePool();
      const reason = new Error('too late');
      await assert.rejects(pool.withVictim(xp, { signal: AbortSignal.abort(reason) }, exploit), (error: unknown) => error === reason);
      assert.equal(pool.counters.get('pool.leases'), 0);
      await pool.close();
    });

    it('after maxLeasesPerVictim leases a victim is replaced instead of reverted (pool.recycled)', async () => {
      const { pool, driver } = makePool({ maxLeasesPerVictim: 2 });
      const ids = [];
      for (let lease = 0; lease < 3; lease++) ids.push((await pool.withVictim(xp, {}, async (victim) => victim.id)).result);
      assert.equal(ids[0], ids[1]);
      assert.notEqual(ids[1], ids[2]);
      assert.equal(pool.counters.get('pool.recycled'), 1);
      assert.equal(driver.stats.closed, 1);
      await pool.close();
    });
  });

  describe('limits', () => {
    it('policy reject: a lease beyond maxVictims fails at once with CT_ERR_POOL_EXHAUSTED (pool.exhausted_rejections)', async () => {
      const { pool } = makePool({ maxVictims: 1, overflowPolicy: 'reject' });
      const held = holdLease(pool);
      await held.started;
      await assert.rejects(pool.withVictim(xp, {}, exploit), hasCode('CT_ERR_POOL_EXHAUSTED', 'reject'));
      assert.equal(pool.counters.get('pool.exhausted_rejections'), 1);
      held.release();
      await held.lease;
      await pool.close();
    });

    it('policy wait: a lease beyond maxVictims queues (pool.exhausted_waits) and gets the reverted victim', async () => {
      const { pool, driver } = makePool({ maxVictims: 1 });
      const held = holdLease(pool);
      await held.started;
      const waiting = pool.withVictim(xp, {}, async (victim) => victim.observations().length);
      assert.equal(pool.snapshot().waiters, 1);
      assert.equal(pool.counters.get('pool.exhausted_waits'), 1);
      held.release();
      const [first, second] = await Promise.all([held.lease, waiting]);
      assert.equal(second.victimId, first.result);
      assert.equal(second.result, 0);
      assert.equal(driver.stats.created, 1);
      await pool.close();
    });

    it('policy wait: beyond maxWaiters a lease is rejected with reason max_waiters', async () => {
      const { pool } = makePool({ maxVictims: 1, maxWaiters: 1 });
      const held = holdLease(pool);
      await held.started;
      const waiting = pool.withVictim(xp, {}, exploit);
      await assert.rejects(pool.withVictim(xp, {}, exploit), hasCode('CT_ERR_POOL_EXHAUSTED', 'max_waiters'));
      assert.equal(pool.counters.get('pool.exhausted_rejections'), 1);
      held.release();
      await Promise.all([held.lease, waiting]);
      await pool.close();
    });

    it('policy wait: a queued lease gives up after waitTimeoutMs (pool.wait_timeouts)', async () => {
      const { pool } = makePool({ maxVictims: 1, waitTimeoutMs: 20 });
      const held = holdLease(pool);
      await held.started;
      await assert.rejects(pool.withVictim(xp, {}, exploit), hasCode('CT_ERR_POOL_EXHAUSTED', 'wait_timeout'));
      assert.equal(pool.counters.get('pool.wait_timeouts'), 1);
      assert.equal(pool.snapshot().waiters, 0);
      held.release();
      await held.lease;
      await pool.close();
    });

    it('an abort while waiting removes the waiter and rejects with the reason', async () => {
      const { pool } = makePool({ maxVictims: 1 });
      const held = holdLease(pool);
      await held.started;
      const controller = new AbortController();
      const waiting = pool.withVictim(xp, { signal: controller.signal }, exploit);
      assert.equal(pool.snapshot().waiters, 1);
      const reason = new Error('job cancelled');
      controller.abort(reason);
      await assert.rejects(waiting, (error: unknown) => error === reason);
      assert.equal(pool.snapshot().waiters, 0);
      assert.equal(pool.counters.get('pool.wait_aborts'), 1);
      held.release();
      await held.lease;
      assert.equal(pool.counters.get('pool.leases'), 1, 'the aborted waiter never leased');
      await pool.close();
    });

    it('a lease for another profile evicts an idle warm clone when the pool is full (pool.evictions)', async () => {
      const { pool, driver } = makePool({ maxVictims: 2, warmPerProfile: 2 });
      await pool.warm([xp]);
      const outcome = await pool.withVictim(seven, {}, async (victim) => victim.profile.id);
      assert.equal(outcome.result, seven.id);
      assert.equal(pool.counters.get('pool.evictions'), 1);
      assert.equal(driver.stats.closed, 1);
      assert.ok(pool.snapshot().total <= 2);
      await pool.close();
    });
  });

  describe('under load', () => {
    it('many leases of several profiles under a small limit all finish, never above maxVictims', async () => {
      const { pool, driver } = makePool({ maxVictims: 3, warmPerProfile: 1, maxLeasesPerVictim: 5 }, { faults: { revertFailures: 7 }, latencyMs: { revert: 1 } });
      const profiles = [xp, seven, catalogue.get('win-2003-sp2')];
      let peak = 0;
      const leases = Array.from({ length: 120 }, (_, index) =>
        pool.withVictim(profiles[index % 3]!, {}, async (victim, signal) => {
          peak = Math.max(peak, driver.victims.length);
          await exploit(victim, signal);
          assert.equal(victim.profile.id, profiles[index % 3]!.id);
          return victim.observations().length;
        }),
      );
      const outcomes = await Promise.all(leases);
      assert.ok(outcomes.every((outcome) => outcome.result === 2), 'a lease saw what an earlier one left');
      assert.ok(peak <= 3, `peak ${peak} victims alive`);
      assert.equal(pool.counters.get('pool.leases'), 120);
      assert.equal(pool.counters.get('pool.revert_failures'), 7);
      assert.ok(pool.snapshot().total <= 3);
      await pool.close();
      assert.equal(driver.victims.length, 0);
    });
  });

  describe('recovery', () => {
    it('a failed revert destroys the victim and a fresh clone replaces it (pool.revert_failures, pool.replaced)', async () => {
      const { pool, driver } = makePool({}, { faults: { revertFailures: 1 } });
      const first = await pool.withVictim(xp, {}, exploit);
      assert.equal(pool.counters.get('pool.revert_failures'), 1);
      assert.equal(pool.counters.get('pool.replaced'), 1);
      assert.equal(driver.stats.destroyed, 1);
      const second = await pool.withVictim(xp, {}, async (victim) => victim.observations().length);
      assert.notEqual(second.victimId, first.victimId);
      assert.equal(second.result, 0);
      await pool.close();
    });

    it('a victim that dies during the lease fails it with CT_ERR_VICTIM_DIED, carrying its observations, and is replaced', async () => {
      const { pool } = makePool();
      let died = '';
      await assert.rejects(
        pool.withVictim(xp, {}, async (victim, signal) => {
          died = await exploit(victim, signal);
          (victim as FakeVictim).kill('blue screen');
        }),
        (error: unknown) => isCrashtestError(error, 'CT_ERR_VICTIM_DIED') && error.details.victimId === died && (error.details.observations as unknown[]).length === 2,
      );
      assert.equal(pool.counters.get('pool.victims_died'), 1);
      assert.equal(pool.counters.get('pool.replaced'), 1);
      const next = await pool.withVictim(xp, {}, async (victim) => victim.died);
      assert.equal(next.result, false);
      assert.notEqual(next.victimId, died);
      await pool.close();
    });

    it('a death that makes the callback throw is reported as the death, with the callback error as cause', async () => {
      const { pool } = makePool({}, { ports: { 445: { kind: 'crash', trigger: 'BOOM' } } });
      await assert.rejects(
        pool.withVictim(xp, {}, async (victim) => {
          const connection = await victim.connect(445, peer);
          await connection!.send(Buffer.from('BOOM'));
          await victim.connect(445, peer);
        }),
        (error: unknown) => isCrashtestError(error, 'CT_ERR_VICTIM_DIED') && isCrashtestError((error as Error).cause, 'CT_ERR_VICTIM_DIED'),
      );
      await pool.close();
    });

    it('a warm victim that died while idle is replaced when a lease would take it', async () => {
      const { pool, driver } = makePool();
      await pool.warm([xp]);
      driver.victims[0]!.kill();
      const outcome = await pool.withVictim(xp, {}, async (victim) => victim.died);
      assert.equal(outcome.result, false);
      assert.equal(pool.counters.get('pool.victims_died'), 1);
      assert.equal(pool.counters.get('pool.replaced'), 1);
      await pool.close();
    });

    it('a lease whose on-demand create fails gets the driver error (pool.create_failures)', async () => {
      const { pool } = makePool({}, { faults: { createFailures: 1 } });
      await assert.rejects(pool.withVictim(xp, {}, exploit), hasCode('CT_ERR_VICTIM_CREATE'));
      assert.equal(pool.counters.get('pool.create_failures'), 1);
      assert.equal((await pool.withVictim(xp, {}, async () => 'ok')).result, 'ok');
      await pool.close();
    });
  });

  describe('lifecycle', () => {
    it('close() waits for leases in flight, fails queued ones with CT_ERR_POOL_CLOSED, then closes every victim', async () => {
      const { pool, driver } = makePool({ maxVictims: 1 });
      const held = holdLease(pool);
      await held.started;
      const waiting = pool.withVictim(xp, {}, exploit);
      let closedYet = false;
      const closing = pool.close().then(() => (closedYet = true));
      assert.equal(pool.closed, true);
      await assert.rejects(waiting, hasCode('CT_ERR_POOL_CLOSED'));
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(closedYet, false, 'close() returned while a lease was in flight');
      held.release();
      assert.equal((await held.lease).victimId.length > 0, true);
      await closing;
      assert.equal(driver.victims.length, 0);
      assert.equal(pool.close(), pool.close(), 'close() is idempotent');
      await pool.close();
    });

    it('use after close throws CT_ERR_INVALID_STATE', async () => {
      const { pool } = makePool();
      await pool.close();
      await assert.rejects(pool.withVictim(xp, {}, exploit), hasCode('CT_ERR_INVALID_STATE'));
      await assert.rejects(pool.warm([xp]), hasCode('CT_ERR_INVALID_STATE'));
      pool.destroy();
    });

    it('destroy() aborts leases in flight, fails queued ones, destroys every victim, and is idempotent', async () => {
      const { pool, driver } = makePool({ maxVictims: 1 });
      await pool.warm([xp]);
      const held = holdLease(pool);
      await held.started;
      const waiting = pool.withVictim(xp, {}, exploit);
      const failure = new Error('daemon stopping');
      pool.destroy(failure);
      pool.destroy();
      assert.equal(pool.closed, true);
      assert.equal(held.signal().aborted, true);
      assert.equal(held.signal().reason, failure);
      await assert.rejects(waiting, hasCode('CT_ERR_POOL_CLOSED'));
      assert.equal(driver.victims.length, 0);
      assert.equal(driver.stats.destroyed, 1);
      held.release();
      await held.lease;
      assert.equal(driver.stats.reverts, 0, 'nothing is reverted once destroyed');
      await pool.close();
      await assert.rejects(pool.withVictim(xp, {}, exploit), hasCode('CT_ERR_INVALID_STATE'));
    });

    it('destroy() during close() settles the close', async () => {
      const { pool } = makePool();
      const held = holdLease(pool);
      await held.started;
      const closing = pool.close();
      pool.destroy();
      await closing;
      held.release();
      await held.lease;
    });
  });
});
