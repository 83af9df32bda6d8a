/**
 * The one conformance suite every VictimDriver passes (fake, emulated, netns, qemu). A driver's
 * test file calls `victimDriverConformance(name, makeDriver, options)` once; the options say what
 * that driver serves (a profile, a port that answers, a port that refuses) and how to leave a mark
 * in a victim's state that a later connection can see, since what persists is driver-specific (a
 * bind shell an exploit opened on the emulated driver, a file on a real machine).
 *
 * What it checks: a created victim answers on its service port and refuses elsewhere; observations
 * are empty when fresh and after revert; a listener the victim opens (when the driver says how to
 * make it) is reported as a `listen` observation, and not after revert; state persists between connections until revert and not
 * past it; every call honours an AbortSignal; close() and destroy() are idempotent on victims and
 * drivers, the driver cascades them to its victims, and use after close rejects with
 * CT_ERR_INVALID_STATE; supports() agrees with the declared capabilities.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Profile } from '../../src/config/index.ts';
import { isCrashtestError } from '../../src/core/index.ts';
import { defaultCatalogue, type Peer, type Victim, type VictimDriver } from '../../src/sandbox/index.ts';

export interface VictimDriverConformanceOptions {
  /** a profile the driver serves */
  profile: Profile;
  /** a TCP port of that profile where a service answers `probe` (or greets) */
  servicePort: number;
  /** bytes sent on the service port; the greeting and the answer together must not be empty */
  probe: Uint8Array;
  /** a TCP port where nothing listens on that profile */
  refusedPort: number;
  /** a profile the driver declines, when it declines any: create() must reject it */
  unsupportedProfile?: Profile;
  /** changes the victim's state the way a session can (opens a listener, writes a file) */
  leaveMark(victim: Victim, signal: AbortSignal): Promise<void>;
  /** whether that change is visible, looked for through new connections */
  findMark(victim: Victim, signal: AbortSignal): Promise<boolean>;
  /** makes the victim record at least one observation; default `leaveMark` */
  provoke?(victim: Victim, signal: AbortSignal): Promise<void>;
  /** makes the victim open a new listener the way attacker code does (a bind shell); what it opened */
  openListener?(victim: Victim, signal: AbortSignal): Promise<{ proto: 'tcp' | 'udp'; port: number }>;
  /** the client the victim sees */
  peer?: Peer;
  /** per test; slow drivers (qemu) need more */
  timeoutMs?: number;
}

const DEFAULT_PEER: Peer = { address: '192.0.2.10', port: 40_000 };

export function victimDriverConformance(name: string, makeDriver: () => VictimDriver | Promise<VictimDriver>, options: VictimDriverConformanceOptions): void {
  const peer = options.peer ?? DEFAULT_PEER;
  const timeout = options.timeoutMs ?? 10_000;
  const provoke = options.provoke ?? options.leaveMark;

  /** Runs `body` with a fresh driver, and closes the driver whatever happens. */
  async function withDriver(body: (driver: VictimDriver, signal: AbortSignal) => Promise<void>): Promise<void> {
    const driver = await makeDriver();
    const controller = new AbortController();
    try {
      await body(driver, controller.signal);
    } finally {
      controller.abort();
      await driver.close();
    }
  }

  function abortedSignal(): { signal: AbortSignal; reason: Error } {
    const controller = new AbortController();
    const reason = new Error('conformance: aborted on purpose');
    controller.abort(reason);
    return { signal: controller.signal, reason };
  }

  describe(`victim driver conformance: ${name}`, () => {
    describe('capabilities', () => {
      it('declares a kind, and what it can be a dummy of', { timeout }, () =>
        withDriver(async (driver) => {
          const capabilities = driver.capabilities;
          assert.ok(capabilities.kind.length > 0, 'capabilities.kind is empty');
          assert.ok(capabilities.os.length > 0 && capabilities.arch.length > 0, 'a driver that serves no os or arch serves nothing');
          for (const key of ['snapshot', 'virtualTime', 'instructionTrace'] as const) assert.equal(typeof capabilities[key], 'boolean', key);
        }),
      );

      it('supports() agrees with the declared os and arch for every catalogue profile', { timeout }, () =>
        withDriver(async (driver) => {
          for (const profile of defaultCatalogue().list()) {
            if (driver.supports(profile)) {
              assert.ok(driver.capabilities.os.includes(profile.os.kind), `${profile.id}: supported but os ${profile.os.kind} not declared`);
              assert.ok(driver.capabilities.arch.includes(profile.arch), `${profile.id}: supported but arch ${profile.arch} not declared`);
            }
          }
          assert.ok(driver.supports(options.profile), `the conformance profile ${options.profile.id} must be supported`);
        }),
      );

      if (options.unsupportedProfile !== undefined) {
        const unsupported = options.unsupportedProfile;
        it('declines an unsupported profile with CT_ERR_INVALID_ARGUMENT', { timeout }, () =>
          withDriver(async (driver) => {
            assert.equal(driver.supports(unsupported), false);
            await assert.rejects(driver.create(unsupported), (error: unknown) => isCrashtestError(error, 'CT_ERR_INVALID_ARGUMENT'));
          }),
        );
      }
    });

    describe('victims', () => {
      it('a created victim is of the profile, alive, and answers on its service port', { timeout }, () =>
        withDriver(async (driver, signal) => {
          const victim = await driver.create(options.profile, { signal });
          assert.equal(victim.profile.id, options.profile.id);
          assert.equal(victim.died, false);
          assert.equal(victim.closed, false);
          assert.ok(victim.id.length > 0 && victim.address.length > 0);
          const connection = await victim.connect(options.servicePort, peer, { signal });
          assert.ok(connection !== null, `tcp/${options.servicePort} refused`);
          const answer = await connection.send(options.probe, { signal });
          assert.ok(answer instanceof Uint8Array);
          assert.ok(connection.greeting.length + answer.length > 0, `tcp/${options.servicePort} neither greeted nor answered the probe`);
          await connection.close();
          await connection.close();
        }),
      );

      it('victims get distinct ids', { timeout }, () =>
        withDriver(async (driver, signal) => {
          const first = await driver.create(options.profile, { signal });
          const second = await driver.create(options.profile, { signal });
          assert.notEqual(first.id, second.id);
        }),
      );

      it('a port where nothing listens is refused: connect resolves null', { timeout }, () =>
        withDriver(async (driver, signal) => {
          const victim = await driver.create(options.profile, { signal });
          assert.equal(await victim.connect(options.refusedPort, peer, { signal }), null);
        }),
      );

      it('observations are empty on a fresh victim and after revert', { timeout }, () =>
        withDriver(async (driver, signal) => {
          const victim = await driver.create(options.profile, { signal });
          assert.deepEqual(victim.observations(), []);
          await provoke(victim, signal);
          assert.ok(victim.observations().length > 0, 'provoke() left no observation');
          await victim.revert({ signal });
          assert.deepEqual(victim.observations(), []);
        }),
      );

      if (options.openListener !== undefined) {
        const openListener = options.openListener;
        const listens = (victim: Victim, opened: { proto: string; port: number }): number =>
          victim.observations().filter((seen) => seen.source === 'dummy' && seen.observation.kind === 'listen' && seen.observation.proto === opened.proto && seen.observation.port === opened.port).length;
        it('a listener the victim opens is one listen observation; revert forgets it', { timeout }, () =>
          withDriver(async (driver, signal) => {
            const victim = await driver.create(options.profile, { signal });
            assert.equal(victim.observations().some((seen) => seen.source === 'dummy' && seen.observation.kind === 'listen'), false, 'a fresh victim reports a listener');
            const opened = await openListener(victim, signal);
            const deadline = Date.now() + 5_000;
            while (listens(victim, opened) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
            assert.equal(listens(victim, opened), 1, `no listen observation for ${opened.proto}/${opened.port}: ${JSON.stringify(victim.observations())}`);
            await victim.dwell(300, { signal });
            assert.equal(listens(victim, opened), 1, 'the same listener was reported twice');
            await victim.revert({ signal });
            await new Promise((resolve) => setTimeout(resolve, 300));
            assert.deepEqual(victim.observations(), [], 'a listener of the previous lease was reported after revert');
          }),
        );
      }

      it('state persists between connections until revert, and not past it', { timeout }, () =>
        withDriver(async (driver, signal) => {
          const victim = await driver.create(options.profile, { signal });
          assert.equal(await options.findMark(victim, signal), false, 'a fresh victim already carries the mark');
          await options.leaveMark(victim, signal);
          assert.equal(await options.findMark(victim, signal), true, 'the mark did not persist to a later connection');
          await victim.revert({ signal });
          assert.equal(await options.findMark(victim, signal), false, 'the mark survived a revert');
          const connection = await victim.connect(options.servicePort, peer, { signal });
          assert.ok(connection !== null, 'the service port stopped answering after revert');
          await connection.close();
        }),
      );

      it('a victim reverts again and again', { timeout }, () =>
        withDriver(async (driver, signal) => {
          const victim = await driver.create(options.profile, { signal });
          for (let round = 0; round < 3; round++) {
            await options.leaveMark(victim, signal);
            await victim.revert({ signal });
            assert.deepEqual(victim.observations(), [], `round ${round}`);
          }
        }),
      );

      it('dwell lets virtual time pass without losing state', { timeout }, () =>
        withDriver(async (driver, signal) => {
          const victim = await driver.create(options.profile, { signal });
          await options.leaveMark(victim, signal);
          await victim.dwell(1_000, { signal });
          assert.equal(await options.findMark(victim, signal), true);
        }),
      );
    });

    describe('abort', () => {
      it('create rejects with the reason of an aborted signal', { timeout }, () =>
        withDriver(async (driver) => {
          const { signal, reason } = abortedSignal();
          await assert.rejects(driver.create(options.profile, { signal }), (error: unknown) => error === reason);
        }),
      );

      it('connect, send, sendDatagram, dwell and revert reject with the reason of an aborted signal', { timeout }, () =>
        withDriver(async (driver, live) => {
          const victim = await driver.create(options.profile, { signal: live });
          const connection = await victim.connect(options.servicePort, peer, { signal: live });
          assert.ok(connection !== null);
          const { signal, reason } = abortedSignal();
          const isReason = (error: unknown): boolean => error === reason;
          await assert.rejects(victim.connect(options.servicePort, peer, { signal }), isReason, 'connect');
          await assert.rejects(connection.send(options.probe, { signal }), isReason, 'send');
          await assert.rejects(victim.sendDatagram(options.servicePort, options.probe, peer, { signal }), isReason, 'sendDatagram');
          await assert.rejects(victim.dwell(1_000, { signal }), isReason, 'dwell');
          await assert.rejects(victim.revert({ signal }), isReason, 'revert');
        }),
      );

      it('a long dwell settles promptly when its signal aborts', { timeout }, () =>
        withDriver(async (driver, live) => {
          const victim = await driver.create(options.profile, { signal: live });
          const controller = new AbortController();
          const reason = new Error('conformance: dwell cut short');
          setTimeout(() => controller.abort(reason), 20);
          const started = performance.now();
          // a driver with virtual time may finish a day before the abort; one without must stop
          await victim.dwell(86_400_000, { signal: controller.signal }).catch((error: unknown) => assert.equal(error, reason));
          assert.ok(performance.now() - started < 2_000, 'dwell ignored its abort');
        }),
      );
    });

    describe('lifecycle', () => {
      it('victim close() and destroy() are idempotent; use after close rejects with CT_ERR_INVALID_STATE', { timeout }, () =>
        withDriver(async (driver, signal) => {
          const closedOne = await driver.create(options.profile, { signal });
          await closedOne.close();
          await closedOne.close();
          closedOne.destroy();
          assert.equal(closedOne.closed, true);
          const invalid = (error: unknown): boolean => isCrashtestError(error, 'CT_ERR_INVALID_STATE');
          await assert.rejects(closedOne.connect(options.servicePort, peer, { signal }), invalid, 'connect');
          await assert.rejects(closedOne.dwell(1, { signal }), invalid, 'dwell');
          await assert.rejects(closedOne.revert({ signal }), invalid, 'revert');

          const destroyedOne = await driver.create(options.profile, { signal });
          destroyedOne.destroy(new Error('conformance: destroyed on purpose'));
          destroyedOne.destroy();
          await destroyedOne.close();
          assert.equal(destroyedOne.closed, true);
          await assert.rejects(destroyedOne.connect(options.servicePort, peer, { signal }), invalid, 'connect after destroy');
        }),
      );

      it('driver close() cascades to its victims, is idempotent, and create after it rejects with CT_ERR_INVALID_STATE', { timeout }, async () => {
        const driver = await makeDriver();
        const victim = await driver.create(options.profile);
        await driver.close();
        await driver.close();
        driver.destroy();
        assert.equal(driver.closed, true);
        assert.equal(victim.closed, true, 'closing the driver left a victim open');
        await assert.rejects(driver.create(options.profile), (error: unknown) => isCrashtestError(error, 'CT_ERR_INVALID_STATE'));
      });

      it('driver destroy() cascades to its victims and is idempotent', { timeout }, async () => {
        const driver = await makeDriver();
        const victim = await driver.create(options.profile);
        driver.destroy(new Error('conformance: destroyed on purpose'));
        driver.destroy();
        await driver.close();
        assert.equal(driver.closed, true);
        assert.equal(victim.closed, true, 'destroying the driver left a victim open');
        await assert.rejects(driver.create(options.profile), (error: unknown) => isCrashtestError(error, 'CT_ERR_INVALID_STATE'));
      });
    });
  });
}
