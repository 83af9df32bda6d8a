import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CrashtestError, type Direction, type Session } from '../core/index.ts';

/**
 * Writes each TCP session's two reassembled streams to files:
 *
 *   DIR/<capture file name>/<session id>-<client ip>.<client port>-<server ip>.<server port>.to_server.bin
 *   DIR/<capture file name>/…same….to_client.bin
 *
 * One folder per capture because session ids restart in every file. IPv6 colons become '_' so the
 * names also work on file systems that reject ':'. A direction that carried no payload gets an empty
 * file, so both files always exist for every TCP session.
 */
export class SessionExporter {
  private readonly createdFolders = new Set<string>();

  constructor(private readonly directory: string) {}

  /** Returns the paths written (none for UDP sessions). */
  export(session: Session, captureFile: string): string[] {
    if (session.proto !== 'tcp') return [];
    const folder = join(this.directory, basename(captureFile));
    const stem = exportStem(session);
    const written: string[] = [];
    try {
      if (!this.createdFolders.has(folder)) {
        mkdirSync(folder, { recursive: true });
        this.createdFolders.add(folder);
      }
      for (const direction of ['to_server', 'to_client'] as const) {
        const path = join(folder, `${stem}.${direction}.bin`);
        writeFileSync(path, streamBytes(session, direction));
        written.push(path);
      }
    } catch (error) {
      throw new CrashtestError(
        'CT_ERR_EXPORT_WRITE',
        `cannot write the streams of session ${session.id} of ${captureFile} to ${folder}: ${(error as Error).message}`,
        { file: folder },
        { cause: error },
      );
    }
    return written;
  }
}

export function exportStem(session: Session): string {
  const endpoint = (ip: string, port: number): string => `${ip.replaceAll(':', '_')}.${port}`;
  return `${session.id}-${endpoint(session.client.ip, session.client.port)}-${endpoint(session.server.ip, session.server.port)}`;
}

/** One direction's reassembled bytes: its turns, concatenated in order. */
export function streamBytes(session: Session, direction: Direction): Buffer {
  return Buffer.concat(session.turns.filter((turn) => turn.direction === direction).map((turn) => turn.data));
}
