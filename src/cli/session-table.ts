import { formatTimestamp, type Session } from '../core/index.ts';
import { durationSeconds } from './session-json.ts';

const HEADER = ['file', 'proto', 'client', '', 'server', 'start (UTC)', 'duration', 'frames c>s/s>c', 'bytes c>s/s>c', 'payload c>s/s>c', 'flags'];
/** columns aligned right (numbers) */
const RIGHT = new Set([6, 7, 8, 9]);

/**
 * The people-facing table: rows are collected as text (not sessions, so memory stays small), then
 * sorted by file and start time and aligned when printed.
 */
export class SessionTable {
  private readonly rows: { order: [number, number, number, number]; cells: string[] }[] = [];
  private fileIndex = -1;
  private lastFile = '';

  /** `showFile`: a first column naming the capture, for runs over several files */
  constructor(private readonly showFile = false) {}

  add(session: Session, file: string): void {
    const flags = [session.midstream ? 'midstream' : '', session.truncated ? 'truncated' : '', session.endReason, ...session.anomalies].filter(Boolean);
    if (file !== this.lastFile) {
      this.fileIndex++;
      this.lastFile = file;
    }
    const cells = [
      file,
      session.proto,
      endpoint(session.client.ip, session.client.port),
      '→',
      endpoint(session.server.ip, session.server.port),
      formatTimestamp({ seconds: session.startSeconds, nanoseconds: session.startNanoseconds }),
      durationSeconds(session).toFixed(6),
      `${session.toServer.frames}/${session.toClient.frames}`,
      `${session.toServer.bytes}/${session.toClient.bytes}`,
      `${session.toServer.payloadBytes}/${session.toClient.payloadBytes}`,
      flags.join(','),
    ];
    this.rows.push({ order: [this.fileIndex, session.startSeconds, session.startNanoseconds, session.id], cells });
  }

  get size(): number {
    return this.rows.length;
  }

  render(): string {
    // sessions arrive in the order they end; people read them in the order they started
    const sorted = [...this.rows].sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.order[2] - b.order[2] || a.order[3] - b.order[3]);
    const all = [HEADER, ...sorted.map((row) => row.cells)].map((row) => (this.showFile ? row : row.slice(1)));
    const right = this.showFile ? RIGHT : new Set([...RIGHT].map((column) => column - 1));
    const widths = all[0]!.map((_, column) => Math.max(...all.map((row) => row[column]!.length)));
    const lines = all.map((row) =>
      row
        .map((cell, column) => (right.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    );
    return lines.join('\n') + '\n';
  }
}

function endpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
