/** The fake driver's scripting: what the pool tests and the benchmark rely on beyond the conformance suite. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCrashtestError } from '../../src/core/index.ts';
import { FakeVictimDriver } from '../../src/drivers/victims/fake/fake-victim-driver.ts';
import { defaultCatalogue } from '../../src/sandbox/index.ts';

const profile = defaultCatalogue().get('win-xp-sp2');
const peer = { address: '192.0.2.10', port: 40_000 };
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

describe('fake victim driver', () => {
  it('every TCP port of the profile echoes by default; others refuse', async () => {
    const driver = new FakeVictimDriver();
    const victim = await driver.create(profile);
    const connection = await victim.connect(445, peer);
    assert.equal(text(await connection!.send(Buffer.from('hello'))), 'hello');
    assert.equal(await victim.connect(80, peer), null);
    assert.deepEqual((await victim.sendDatagram(137, Buffer.from('nb'), peer)).map(text), ['nb']);
    await driver.close();
  });

  it('a compromise trigger split over sends records the exec, the egress and a bind-shell listener', async () => {
    const driver = new FakeVictimDriver({
      ports: { 445: { kind: 'compromise', trigger: 'EXPLOIT', egressTo: { address: '198.51.100.7', port: 4444 }, opensPort: 4444 } },
    });
    const victim = await driver.create(profile);
    assert.equal(await victim.connect(4444, peer), null);
    const connection = await victim.connect(445, peer);
    await connection!.send(Buffer.from('..EXPL'));
    await connection!.send(Buffer.from('OIT..'));
    const observations = victim.observations();
    assert.deepEqual(
      observations.map((observation) => (observation.source === 'dummy' ? observation.observation.kind : observation.event.facts.kind)),
      ['exec', 'tcp_connect', 'listen'],
    );
    const egress = observations[1]!;
    assert.ok(egress.source === 'containment' && egress.event.destination.port === 4444 && egress.event.dummyId === victim.id);
    const shell = await victim.connect(4444, peer);
    assert.ok(shell !== null, 'the bind shell answers a later connection');
    await victim.revert();
    assert.equal(await victim.connect(4444, peer), null, 'the listener is gone after revert');
    await driver.close();
  });

  it('a sleeping payload shows only once dwell has passed its wake time', async () => {
    const driver = new FakeVictimDriver({ ports: { 445: { kind: 'compromise', trigger: 'X', wakesAfterMs: 60_000 } } });
    const victim = await driver.create(profile);
    await (await victim.connect(445, peer))!.send(Buffer.from('X'));
    assert.equal(victim.observations().length, 0);
    await victim.dwell(30_000);
    assert.equal(victim.observations().length, 0);
    await victim.dwell(30_000);
    const [woken] = victim.observations();
    assert.ok(woken?.source === 'dummy' && woken.observation.kind === 'exec' && woken.observation.at === 60_000);
    await driver.close();
  });

  it('a crash trigger kills the victim; calls then reject with CT_ERR_VICTIM_DIED', async () => {
    const driver = new FakeVictimDriver({ ports: { 445: { kind: 'crash', trigger: 'BOOM' } } });
    const victim = await driver.create(profile);
    const connection = await victim.connect(445, peer);
    await connection!.send(Buffer.from('BOOM'));
    assert.equal(victim.died, true);
    assert.equal(connection!.closedByVictim, true);
    await assert.rejects(victim.connect(445, peer), (error: unknown) => isCrashtestError(error, 'CT_ERR_VICTIM_DIED'));
    await assert.rejects(victim.revert(), (error: unknown) => isCrashtestError(error, 'CT_ERR_VICTIM_DIED'));
    await driver.close();
  });

  it('scripted create and revert failures fire as many times as asked, and are counted', async () => {
    const driver = new FakeVictimDriver({ faults: { createFailures: 1, revertFailures: 1 } });
    await assert.rejects(driver.create(profile), (error: unknown) => isCrashtestError(error, 'CT_ERR_VICTIM_CREATE'));
    const victim = await driver.create(profile);
    await assert.rejects(victim.revert(), (error: unknown) => isCrashtestError(error, 'CT_ERR_VICTIM_REVERT'));
    await victim.revert();
    assert.deepEqual({ created: driver.stats.created, reverts: driver.stats.reverts, revertFailures: driver.stats.revertFailures }, { created: 1, reverts: 1, revertFailures: 1 });
    await driver.close();
  });

  it('a slow driver honours an abort while it waits', async () => {
    const driver = new FakeVictimDriver({ latencyMs: { create: 5_000, send: 5_000 } });
    const controller = new AbortController();
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 10);
    const started = performance.now();
    await assert.rejects(driver.create(profile, { signal: controller.signal }), (error: unknown) => error === reason);
    assert.ok(performance.now() - started < 1_000);
    driver.latencyMs.create = 0;
    const victim = await driver.create(profile);
    const connection = await victim.connect(445, peer);
    const sendController = new AbortController();
    setTimeout(() => sendController.abort(reason), 10);
    await assert.rejects(connection!.send(Buffer.from('x'), { signal: sendController.signal }), (error: unknown) => error === reason);
    await driver.close();
  });
});
