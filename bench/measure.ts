/** Runs a command under GNU time for its wall clock and peak RSS, the same way for every tool. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

export interface Measurement {
  wallSeconds: number;
  maxRssBytes: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `onLine` sees every line of stdout (the returned stdout keeps only its tail). */
export async function measure(command: string, args: readonly string[], onLine?: (line: string) => void): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), 'crashtest-bench-'));
  const timeFile = join(dir, 'time');
  try {
    const started = process.hrtime.bigint();
    const { status, stdout, stderr } = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      // keep only the tail of stdout/stderr: tshark's output on a big file is large and uninteresting
      let partial = '';
      // a UTF-8 character may be split between chunks: decode the line stream across them
      const decoder = new StringDecoder('utf8');
      child.stdout.on('data', (chunk: Buffer) => {
        out = (out + chunk.toString()).slice(-65536);
        if (!onLine) return;
        const lines = (partial + decoder.write(chunk)).split('\n');
        partial = lines.pop()!;
        for (const line of lines) onLine(line);
      });
      child.stdout.on('end', () => {
        partial += decoder.end();
        if (onLine && partial.length > 0) onLine(partial);
      });
      child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-65536)));
      child.on('error', reject);
      child.on('close', (code) => resolve({ status: code, stdout: out, stderr: err }));
    });
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const [, maxRssKiB] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ');
    return { wallSeconds, maxRssBytes: Number(maxRssKiB) * 1024, status, stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')).join('\n');
}

export const MiB = 1024 * 1024;
