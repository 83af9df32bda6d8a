/**
 * A guest's serial console, which QEMU writes to a file (kept as evidence). Lines a cooperating
 * guest writes as `crashtest: exec <shell> <command>` become `exec` observations; everything else
 * stays in the file only. Hostile input is data: a guest can write anything there, so lines are
 * length-capped and unknown forms are ignored, never thrown on.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { DummyObservation } from '../../../emulator/index.ts';

const MAX_LINE_BYTES = 4_096;
const MAX_READ_BYTES = 1 << 20;
const EXEC_LINE = /^crashtest: exec (sh|cmd|process) (.*)$/;

export class SerialConsole {
  private offset = 0;
  private partial = '';

  constructor(readonly path: string) {}

  /** Forgets what is in the file so far: the next read starts with what the guest writes from now on. */
  skipToEnd(): void {
    this.offset = this.size();
    this.partial = '';
  }

  /** Observations from the whole lines written since the last read, stamped `at`. */
  read(at: number): DummyObservation[] {
    const text = this.readNew();
    if (text.length === 0) return [];
    const lines = (this.partial + text).split('\n');
    this.partial = (lines.pop() ?? '').slice(-MAX_LINE_BYTES);
    const observations: DummyObservation[] = [];
    for (const raw of lines) {
      const match = EXEC_LINE.exec(raw.replace(/\r$/, '').slice(0, MAX_LINE_BYTES));
      if (match) observations.push({ kind: 'exec', at, shell: match[1] as 'sh' | 'cmd' | 'process', command: match[2]!, origin: 'serial-console' });
    }
    return observations;
  }

  private size(): number {
    let descriptor: number;
    try {
      descriptor = openSync(this.path, 'r');
    } catch {
      return 0;
    }
    try {
      return fstatSync(descriptor).size;
    } finally {
      closeSync(descriptor);
    }
  }

  private readNew(): string {
    let descriptor: number;
    try {
      descriptor = openSync(this.path, 'r');
    } catch {
      return '';
    }
    try {
      const size = fstatSync(descriptor).size;
      if (size <= this.offset) return '';
      const length = Math.min(size - this.offset, MAX_READ_BYTES);
      const buffer = Buffer.alloc(length);
      const read = readSync(descriptor, buffer, 0, length, this.offset);
      this.offset += read;
      return buffer.subarray(0, read).toString('latin1');
    } finally {
      closeSync(descriptor);
    }
  }
}
