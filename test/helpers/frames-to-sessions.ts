/** Frames built by a test, through the product's decode and flow stages, into sessions. */
import { defaultConfig } from '../../src/config/index.ts';
import { Counters, type Frame, type Session } from '../../src/core/index.ts';
import { PacketDecoder } from '../../src/decode/index.ts';
import { FlowTable } from '../../src/flow/index.ts';

export function sessionsOfFrames(frames: readonly Frame[]): Session[] {
  const config = defaultConfig();
  const counters = new Counters();
  const decoder = new PacketDecoder(config.decode, counters);
  const sessions: Session[] = [];
  const table = new FlowTable(config.flow, counters, (session) => sessions.push(session));
  for (const frame of frames) {
    const packet = decoder.decode(frame);
    if (packet) table.add(packet);
  }
  table.flush('end_of_capture');
  return sessions;
}
