/**
 * The interface and backlog drop readers over fake /sys and /proc trees in a temporary directory:
 * the values they parse, deltas from the first reading, counters that go back, interfaces that
 * vanish, and a host without the files; and the README's table of drop counters, which must name
 * every one the sensor keeps with its scope.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INTERFACE_DROP_FIELDS, InterfaceDropReader, parseSoftnetDropped, readBacklogDrops, readInterfaceDropCounts, type InterfaceDropCounts } from '../../src/capture/index.ts';

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function fakeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'crashtest-drops-'));
  roots.push(root);
  return root;
}

function writeInterface(root: string, name: string, counts: Partial<InterfaceDropCounts> & { rx_packets?: number }): void {
  const directory = join(root, 'sys', 'class', 'net', name, 'statistics');
  mkdirSync(directory, { recursive: true });
  const all = { rx_packets: 0, rx_dropped: 0, rx_missed_errors: 0, rx_fifo_errors: 0, rx_over_errors: 0, ...counts };
  for (const [field, value] of Object.entries(all)) writeFileSync(join(directory, field), `${value}\n`);
}

/** softnet_stat as the kernel prints it: %08x columns, one line per CPU, "dropped" second. */
function writeSoftnet(root: string, droppedPerCpu: number[]): void {
  mkdirSync(join(root, 'proc', 'net'), { recursive: true });
  const hex = (value: number): string => value.toString(16).padStart(8, '0');
  const lines = droppedPerCpu.map((dropped, cpu) => [hex(123_456 + cpu), hex(dropped), hex(7), ...Array.from({ length: 9 }, () => hex(0)), hex(cpu), hex(0), hex(0)].join(' '));
  writeFileSync(join(root, 'proc', 'net', 'softnet_stat'), `${lines.join('\n')}\n`);
}

describe('readInterfaceDropCounts', () => {
  it('reads the four rx drop statistics of an interface', () => {
    const root = fakeRoot();
    writeInterface(root, 'eth1', { rx_packets: 9_999, rx_dropped: 12, rx_missed_errors: 3, rx_fifo_errors: 4, rx_over_errors: 5 });
    assert.deepEqual(readInterfaceDropCounts('eth1', root), { rx_dropped: 12, rx_missed_errors: 3, rx_fifo_errors: 4, rx_over_errors: 5 });
  });

  it('returns null for an interface that does not exist or has a broken statistics file', () => {
    const root = fakeRoot();
    assert.equal(readInterfaceDropCounts('eth9', root), null);
    writeInterface(root, 'eth2', {});
    writeFileSync(join(root, 'sys', 'class', 'net', 'eth2', 'statistics', 'rx_fifo_errors'), 'not a number\n');
    assert.equal(readInterfaceDropCounts('eth2', root), null);
  });
});

describe('parseSoftnetDropped and readBacklogDrops', () => {
  it('sums the hexadecimal second column over every CPU', () => {
    assert.equal(parseSoftnetDropped('0004e4c9 0000001a 00000001\n0007e569 00000100 00000000\n'), 0x1a + 0x100);
    const root = fakeRoot();
    writeSoftnet(root, [0x2f, 0, 0x10_000]);
    assert.equal(readBacklogDrops(root), 0x2f + 0x10_000);
  });

  it('returns null when the host has no softnet_stat', () => {
    assert.equal(readBacklogDrops(fakeRoot()), null);
  });
});

describe('InterfaceDropReader', () => {
  it('counts only what happened since it was made, per interface and in total', () => {
    const root = fakeRoot();
    writeInterface(root, 'eth1', { rx_dropped: 100, rx_missed_errors: 50 });
    writeInterface(root, 'eth2', { rx_fifo_errors: 7 });
    writeSoftnet(root, [1_000, 2_000]);
    const reader = new InterfaceDropReader(['eth1', 'eth2'], { root });
    const quiet = reader.sample();
    assert.deepEqual(quiet.total, { rx_dropped: 0, rx_missed_errors: 0, rx_fifo_errors: 0, rx_over_errors: 0 });
    assert.equal(quiet.backlogDropped, 0);

    writeInterface(root, 'eth1', { rx_dropped: 130, rx_missed_errors: 51, rx_over_errors: 2 });
    writeInterface(root, 'eth2', { rx_dropped: 5, rx_fifo_errors: 9 });
    writeSoftnet(root, [1_004, 2_010]);
    const busy = reader.sample();
    assert.deepEqual(busy.interfaces.eth1, { rx_dropped: 30, rx_missed_errors: 1, rx_fifo_errors: 0, rx_over_errors: 2 });
    assert.deepEqual(busy.interfaces.eth2, { rx_dropped: 5, rx_missed_errors: 0, rx_fifo_errors: 2, rx_over_errors: 0 });
    assert.deepEqual(busy.total, { rx_dropped: 35, rx_missed_errors: 1, rx_fifo_errors: 2, rx_over_errors: 2 });
    assert.equal(busy.backlogDropped, 14);
  });

  it('never goes back when a counter restarts (interface re-created, counter wrapped)', () => {
    const root = fakeRoot();
    writeInterface(root, 'eth1', { rx_dropped: 1_000 });
    const reader = new InterfaceDropReader(['eth1'], { root });
    writeInterface(root, 'eth1', { rx_dropped: 1_040 });
    assert.equal(reader.sample().total.rx_dropped, 40);
    writeInterface(root, 'eth1', { rx_dropped: 6 }); // restarted from 0 and dropped 6 since
    assert.equal(reader.sample().total.rx_dropped, 46);
    writeInterface(root, 'eth1', { rx_dropped: 10 });
    assert.equal(reader.sample().total.rx_dropped, 50);
  });

  it('says which interface it cannot read, keeps what it had counted, and baselines one that appears later', () => {
    const root = fakeRoot();
    writeInterface(root, 'eth1', { rx_missed_errors: 10 });
    const reader = new InterfaceDropReader(['eth1', 'late0'], { root });
    assert.equal(reader.sample().interfaces.late0, null);
    assert.equal(reader.sample().backlogDropped, null, 'no softnet_stat in this fake root');

    writeInterface(root, 'eth1', { rx_missed_errors: 13 });
    assert.equal(reader.sample().total.rx_missed_errors, 3);
    rmSync(join(root, 'sys', 'class', 'net', 'eth1'), { recursive: true });
    const gone = reader.sample();
    assert.equal(gone.interfaces.eth1, null);
    assert.equal(gone.total.rx_missed_errors, 3, 'what was counted stays counted');

    writeInterface(root, 'late0', { rx_dropped: 500 }); // drops from before it was first read never count
    assert.equal(reader.sample().total.rx_dropped, 0);
    writeInterface(root, 'late0', { rx_dropped: 502 });
    assert.deepEqual(reader.sample().interfaces.late0, { rx_dropped: 2, rx_missed_errors: 0, rx_fifo_errors: 0, rx_over_errors: 0 });
  });
});

describe('README: Drops are visible', () => {
  it('names every drop counter, with its scope, host-wide ones as such', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = new Map<string, string>();
    for (const match of readme.matchAll(/^\| `([a-z_.]+)` \| ([^|]+) \| [^|]+ \|$/gm)) rows.set(match[1]!, match[2]!.trim());
    const perInterface = INTERFACE_DROP_FIELDS.map((field) => `capture.interface_${field}`);
    for (const name of [...perInterface, 'capture.kernel_dropped', 'capture.unread_at_stop', 'capture.interface_dropped', 'sensor.queue.overflow_dropped']) {
      assert.ok(rows.has(name), `README's drop table has a row for ${name}`);
      assert.doesNotMatch(rows.get(name)!, /host/, `${name} is not host-wide`);
    }
    for (const name of perInterface) assert.equal(rows.get(name), 'each interface, summed');
    assert.equal(rows.get('capture.backlog_dropped'), 'host-wide');
  });
});
