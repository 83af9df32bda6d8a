import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrashtestError } from '../../src/core/index.ts';
import { DryRunEnforcer, type Enforcer, type Rule } from '../../src/respond/index.ts';
import { harness, sessionRow, T0, verdict } from './fixtures.ts';

const MAC = (n: number) => 0x020000000000 + n;

function ruleOf(outcome: Awaited<ReturnType<ReturnType<typeof harness>['responder']['handleVerdict']>>): Rule {
  assert.equal(outcome.kind, 'rule', JSON.stringify(outcome));
  return (outcome as { rule: Rule }).rule;
}

test('a compromised verdict shuts the recorded port, and the TTL restores it', async () => {
  const h = harness({ ruleTtlSeconds: 600 });
  h.journal.recordSessions([sessionRow(1, MAC(1), 'Gi1/0/3')]);
  const rule = ruleOf(await h.responder.handleVerdict(verdict(1)));
  assert.equal(rule.state, 'applied');
  assert.deepEqual([rule.target.switchName, rule.target.port, rule.target.mac, rule.target.basis], ['access-1', 'Gi1/0/3', '02:00:00:00:00:01', 'session']);
  assert.equal(rule.expiresSeconds, T0 + 600);
  assert.equal(rule.owner, 'verdict');
  assert.equal(rule.reason.level, 'compromised');

  h.clock.advance(599);
  assert.deepEqual(await h.responder.expireDue(), []);
  h.clock.advance(1);
  const [expired] = await h.responder.expireDue();
  assert.equal(expired?.state, 'expired');
  assert.deepEqual((h.enforcer as DryRunEnforcer).calls, [
    { operation: 'apply', ruleId: rule.id },
    { operation: 'remove', ruleId: rule.id },
  ]);
  assert.deepEqual(
    h.store.entries({ ruleId: rule.id }).map((entry) => entry.event).reverse(),
    ['requested', 'applied', 'expired'],
  );
  h.close();
});

test('verdicts below the minimum level and sessions without a port do nothing', async () => {
  const h = harness();
  h.journal.recordSessions([sessionRow(1, MAC(1), 'Gi1/0/3'), sessionRow(2, MAC(2), 'x', { switchName: null, port: null })]);
  assert.deepEqual((await h.responder.handleVerdict(verdict(1, { level: 'attempted' }))).kind, 'ignored');
  const unknown = await h.responder.handleVerdict(verdict(2));
  assert.equal(unknown.kind === 'ignored' && unknown.reason, 'no_attribution');
  assert.equal(h.store.list().length, 0);
  h.close();
});

test('protected ports are never shut, and the audit log says why', async () => {
  const h = harness();
  h.journal.recordSessions([
    sessionRow(1, MAC(1), 'Gi1/0/48'), // configured
    sessionRow(2, MAC(2), 'Po1'), // name pattern
    sessionRow(3, MAC(3), 'Gi1/0/20'), // many MACs
    sessionRow(4, MAC(4), 'Gi1/0/21'), // two VLANs
  ]);
  const seen = (mac: number, port: string, vlan = 10) => ({ mac, vlan, switchName: 'access-1', port, ifIndex: 0, source: 'snmp-qbridge' as const, seconds: T0 - 60 });
  h.journal.recordMacPorts([...[3, 30, 31, 32, 33].map((n) => seen(MAC(n), 'Gi1/0/20')), seen(MAC(4), 'Gi1/0/21', 10), seen(MAC(40), 'Gi1/0/21', 20)]);

  const codes: string[] = [];
  for (const id of [1, 2, 3, 4]) {
    const rule = ruleOf(await h.responder.handleVerdict(verdict(id)));
    assert.equal(rule.state, 'refused');
    codes.push(rule.detail.split(':')[0]!);
  }
  assert.deepEqual(codes, ['protected_port_listed', 'protected_port_pattern', 'protected_port_mac_count', 'protected_port_trunk']);
  assert.deepEqual((h.enforcer as DryRunEnforcer).calls, [], 'the driver was never called');
  const refusals = h.store.entries().filter((entry) => entry.event === 'refused');
  assert.equal(refusals.length, 4);
  assert.match(refusals.at(-1)!.detail, /^protected_port_listed: access-1 Gi1\/0\/48 is in respond.protectedPorts/);
  assert.equal(h.counters.get('respond.refused.protected_port_mac_count'), 1);
  h.close();
});

test('the hourly rate limit stops the action after N, with the reason logged', async () => {
  const h = harness({ maxActionsPerHour: 2 });
  h.journal.recordSessions([1, 2, 3, 4].map((id) => sessionRow(id, MAC(id), `Gi1/0/${id}`)));
  assert.equal(ruleOf(await h.responder.handleVerdict(verdict(1))).state, 'applied');
  h.clock.advance(60);
  assert.equal(ruleOf(await h.responder.handleVerdict(verdict(2))).state, 'applied');
  const third = ruleOf(await h.responder.handleVerdict(verdict(3)));
  assert.equal(third.state, 'refused');
  assert.match(third.detail, /^rate_limited: 2 actions in the last hour/);
  assert.ok(h.store.entries({ ruleId: third.id }).some((entry) => entry.event === 'refused' && entry.detail.startsWith('rate_limited')));
  h.clock.advance(3_600);
  assert.equal(ruleOf(await h.responder.handleVerdict(verdict(4))).state, 'applied', 'a new hour, a new budget');
  h.close();
});

test('approval mode: the action waits for a person; approve applies it, undo restores the port', async () => {
  const h = harness({ approvalRequired: true });
  h.journal.recordSessions([sessionRow(1, MAC(1), 'Gi1/0/3'), sessionRow(2, MAC(2), 'Gi1/0/4')]);
  const waiting = ruleOf(await h.responder.handleVerdict(verdict(1)));
  assert.equal(waiting.state, 'requested');
  assert.equal(waiting.detail, 'awaiting approval');
  assert.deepEqual((h.enforcer as DryRunEnforcer).calls, [], 'nothing happens before approval');
  assert.equal((await h.responder.handleVerdict(verdict(1))).kind, 'duplicate', 'a second verdict for the port joins the waiting rule');

  const applied = await h.responder.approve(waiting.id, 'alice');
  assert.equal(applied.state, 'applied');
  assert.equal(applied.approvedBy, 'alice');
  await assert.rejects(h.responder.approve(waiting.id, 'bob'), { code: 'CT_ERR_INVALID_STATE' });
  const undone = await h.responder.undo(waiting.id, 'alice');
  assert.equal(undone.state, 'rolled_back');

  const other = ruleOf(await h.responder.handleVerdict(verdict(2)));
  const withdrawn = await h.responder.undo(other.id, 'bob');
  assert.equal(withdrawn.state, 'rolled_back');
  assert.deepEqual((h.enforcer as DryRunEnforcer).calls.map((call) => call.operation), ['apply', 'remove'], 'a withdrawn rule never reached the driver');
  await assert.rejects(h.responder.approve(999, 'alice'), { code: 'CT_ERR_RULE_NOT_FOUND' });
  assert.deepEqual(
    h.store.entries({ ruleId: waiting.id }).map((entry) => `${entry.event}:${entry.actor}`).reverse(),
    ['requested:verdict', 'awaiting_approval:responder', 'duplicate:verdict', 'approved:alice', 'applied:alice', 'rolled_back:alice'],
  );
  h.close();
});

test('a driver failure fails the rule; a failed restore keeps it applied and is retried', async () => {
  let failRemove = true;
  const flaky: Enforcer = {
    name: 'flaky',
    capabilities: { portDown: true, restore: true, verify: false, touchesNetwork: false },
    accepts: (rule) => (rule.target.port === 'Gi1/0/9' ? 'port 9 is not mine' : null),
    apply: async (rule) => {
      if (rule.target.port === 'Gi1/0/2') throw new CrashtestError('CT_ERR_ENFORCEMENT', 'switch said no');
      return 'ok';
    },
    remove: async () => {
      if (failRemove) throw new CrashtestError('CT_ERR_SNMP', 'timeout');
      return 'restored';
    },
    close: () => undefined,
  };
  const h = harness({ ruleTtlSeconds: 10 }, flaky);
  h.journal.recordSessions([sessionRow(1, MAC(1), 'Gi1/0/1'), sessionRow(2, MAC(2), 'Gi1/0/2'), sessionRow(9, MAC(9), 'Gi1/0/9')]);
  const failed = ruleOf(await h.responder.handleVerdict(verdict(2)));
  assert.deepEqual([failed.state, failed.detail], ['failed', 'switch said no']);
  const declined = ruleOf(await h.responder.handleVerdict(verdict(9)));
  assert.deepEqual([declined.state, declined.detail], ['failed', 'declined by flaky: port 9 is not mine']);

  const rule = ruleOf(await h.responder.handleVerdict(verdict(1)));
  h.clock.advance(11);
  assert.deepEqual(await h.responder.expireDue(), []);
  assert.equal(h.store.get(rule.id)!.state, 'applied', 'still applied: the port may still be down');
  assert.match(h.store.get(rule.id)!.detail, /restore failed, will retry/);
  failRemove = false;
  assert.equal((await h.responder.expireDue())[0]?.state, 'expired');
  h.close();
});

test('the audit log is append-only', () => {
  const h = harness();
  h.store.append({ seconds: T0, event: 'note', ruleId: null, actor: 'test', detail: 'one' });
  assert.throws(() => h.store.unsafeExec("UPDATE audit_log SET detail = 'changed'"), /append-only/);
  assert.throws(() => h.store.unsafeExec('DELETE FROM audit_log'), /append-only/);
  assert.equal(h.store.entries()[0]?.detail, 'one');
  h.close();
});
