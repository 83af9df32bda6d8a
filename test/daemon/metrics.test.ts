import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counters } from '../../src/core/index.ts';
import { renderMetrics } from '../../src/daemon/index.ts';

test('the counters registry renders as Prometheus text: counters as _total, levels and the pool as gauges', async () => {
  const counters = new Counters();
  counters.add('flow.memcap_evictions', 3);
  counters.add('decoder.invalid', 7);
  counters.set('pool.leases_active', 2);
  const text = await renderMetrics({
    counters,
    gauges: { 'sensor.queue.depth': 5 },
    pool: { maxVictims: 32, total: 3, waiters: 0, leasesActive: 2, profiles: [{ profileId: 'winxp-sp1', creating: 0, warm: 1, leased: 1, dwelling: 1, reverting: 0, closing: 0 }] },
  });
  assert.match(text, /^# TYPE crashtest_flow_memcap_evictions_total counter$/m);
  assert.match(text, /^crashtest_flow_memcap_evictions_total 3$/m);
  assert.match(text, /^crashtest_decoder_invalid_total 7$/m);
  assert.match(text, /^# TYPE crashtest_pool_leases_active gauge$/m);
  assert.match(text, /^crashtest_sensor_queue_depth 5$/m);
  assert.match(text, /^crashtest_pool_dummies\{profile="winxp-sp1",state="leased"\} 1$/m);
  assert.match(text, /^crashtest_pool_dummies\{profile="winxp-sp1",state="dwelling"\} 1$/m);
  // every sample line is NAME{labels} VALUE
  for (const line of text.split('\n').filter((each) => each !== '' && !each.startsWith('#'))) assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+]+$/);
});
