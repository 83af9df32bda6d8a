import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTcpdumpStatsLine, type TcpdumpStats } from '../../src/capture/index.ts';

const empty = (): TcpdumpStats => ({ captured: 0, receivedByFilter: 0, droppedByKernel: 0, droppedByInterface: 0 });

describe('parseTcpdumpStatsLine', () => {
  it('reads the one-line SIGUSR1 report (as tcpdump 4.99 prints it)', () => {
    const stats = empty();
    const complete = parseTcpdumpStatsLine('tcpdump: 4 packets captured, 1 packet received by filter, 0 packets dropped by kernel', stats);
    assert.equal(complete, true);
    assert.deepEqual(stats, { captured: 4, receivedByFilter: 1, droppedByKernel: 0, droppedByInterface: 0 });
  });

  it('reads the one-count-per-line report printed at exit, interface drops included', () => {
    const stats = empty();
    const lines = ['12 packets captured', '15 packets received by filter', '3 packets dropped by kernel', '2 packets dropped by interface'];
    assert.deepEqual(
      lines.map((line) => parseTcpdumpStatsLine(line, stats)),
      [false, false, true, false],
    );
    assert.deepEqual(stats, { captured: 12, receivedByFilter: 15, droppedByKernel: 3, droppedByInterface: 2 });
  });

  it('ignores other lines', () => {
    const stats = empty();
    assert.equal(parseTcpdumpStatsLine('tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes', stats), false);
    assert.deepEqual(stats, empty());
  });
});
