/** Frames back into sessions through the project's own decode and flow stages, and through tshark. */
import { execFileSync } from 'node:child_process';
import { defaultConfig } from '../../src/config/index.ts';
import { Counters } from '../../src/core/index.ts';
import type { Frame, Session } from '../../src/core/index.ts';
import { PacketDecoder } from '../../src/decode/index.ts';
import { FlowTable } from '../../src/flow/index.ts';

export function sessionsOf(frames: readonly Frame[]): { sessions: Session[]; counters: Counters } {
  const config = defaultConfig();
  const counters = new Counters();
  const decoder = new PacketDecoder(config.decode, counters);
  const sessions: Session[] = [];
  const table = new FlowTable(config.flow, counters, (session) => sessions.push(session));
  for (const frame of frames) {
    const packet = decoder.decode(frame);
    if (packet !== null) table.add(packet);
  }
  table.flush('end_of_capture');
  return { sessions, counters };
}

export function directionBytes(session: Session, direction: 'to_server' | 'to_client'): Buffer {
  return Buffer.concat(session.turns.filter((turn) => turn.direction === direction).map((turn) => turn.data));
}

export function tshark(args: string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
}

/**
 * `tshark -z follow,tcp,raw,N`: the client's chunks are printed flush left, the server's after a tab.
 * Returns each direction's bytes.
 */
export function tsharkFollowTcp(path: string, stream = 0): { toServer: Buffer; toClient: Buffer } {
  const output = tshark(['-r', path, '-q', '-z', `follow,tcp,raw,${stream}`]);
  const body = output.split('\n').filter((line) => /^\t?[0-9a-f]+$/.test(line));
  const toServer = body.filter((line) => !line.startsWith('\t')).join('');
  const toClient = body.filter((line) => line.startsWith('\t')).map((line) => line.slice(1)).join('');
  return { toServer: Buffer.from(toServer, 'hex'), toClient: Buffer.from(toClient, 'hex') };
}
