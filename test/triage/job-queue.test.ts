import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counters } from '../../src/core/index.ts';
import { JobQueue, type ReplayJob } from '../../src/triage/index.ts';

const job = (id: number, priority: number) => ({ id, priority }) as ReplayJob;

describe('bounded replay queue', () => {
  it('pops highest priority first, equal priorities in arrival order', () => {
    const queue = new JobQueue({ capacity: 10, overflowPolicy: 'drop_lowest_priority', droppedLogSize: 10 }, new Counters());
    for (const [id, priority] of [[1, 5], [2, 50], [3, 5], [4, 20], [5, 50]] as const) queue.push(job(id, priority));
    assert.deepEqual([1, 2, 3, 4, 5].map(() => queue.pop()!.id), [2, 5, 4, 1, 3]);
    assert.equal(queue.pop(), undefined);
  });

  it('overflow drops the lowest priority (queued or newcomer), counts each drop and lets the caller read them', () => {
    const counters = new Counters();
    const queue = new JobQueue({ capacity: 3, overflowPolicy: 'drop_lowest_priority', droppedLogSize: 2 }, counters);
    queue.push(job(1, 10));
    queue.push(job(2, 30));
    queue.push(job(3, 20));
    assert.equal(queue.push(job(4, 40))?.id, 1, 'the lowest queued job goes');
    assert.equal(queue.push(job(5, 5))?.id, 5, 'a newcomer lower than all is itself dropped');
    assert.equal(queue.push(job(6, 20))?.id, 6, 'equal to the lowest: the older job stays');
    assert.equal(counters.get('triage.queue.overflow_dropped'), 3);
    assert.deepEqual(queue.takeDropped().map((dropped) => dropped.id), [5, 6], 'the log is bounded too');
    assert.equal(counters.get('triage.queue.dropped_log_overflow'), 1);
    assert.deepEqual(queue.takeDropped(), []);
    assert.deepEqual([queue.pop()!.id, queue.pop()!.id, queue.pop()!.id], [4, 2, 3]);
  });
});
