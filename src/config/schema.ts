import { z } from 'zod';

/**
 * The one configuration schema. Defaults carry their unit in the key name; every bounded
 * resource names its overflow policy. Unknown keys are errors (strict objects), so a typo stops
 * start-up with the key path instead of being ignored. Each key's description is what
 * docs/config.md shows (kept equal by a test).
 */

const positiveInt = () => z.number().int().positive();

const decodeSchema = z
  .strictObject({
    fragmentMemcapBytes: positiveInt()
      .default(32 * 1024 * 1024)
      .describe('Bytes of IPv4/IPv6 fragments held while waiting for the rest of their datagram; beyond it new fragments are dropped and counted (decoder.frag_memcap_drop).'),
    fragmentTimeoutMs: positiveInt()
      .default(30_000)
      .describe('How long (capture time) an incomplete datagram waits for its missing fragments (30 s, as Linux ipfrag_time).'),
    maxFragmentsPerDatagram: positiveInt().default(256).describe('Fragments one datagram may have before it is given up (decoder.frag_too_many).'),
    maxEncapsulationDepth: positiveInt().default(4).describe('GRE/ERSPAN/IP-in-IP layers peeled before a packet is counted as encapsulation_too_deep.'),
  })
  .prefault({});

const flowSchema = z
  .strictObject({
    tcpIdleTimeoutMs: positiveInt().default(3_600_000).describe('An established TCP session with no packet for this long (capture time) ends with end_reason timeout (1 h).'),
    tcpEmbryonicTimeoutMs: positiveInt().default(30_000).describe('A TCP session that never carried payload ends after this much silence (30 s): keeps SYN floods cheap.'),
    tcpClosedTimeoutMs: positiveInt().default(5_000).describe('After FIN both ways or RST, late packets are still taken for this long (5 s).'),
    udpIdleTimeoutMs: positiveInt().default(60_000).describe('A UDP pseudo-session with no datagram for this long ends (60 s).'),
    reassemblyDepthBytes: positiveInt()
      .default(16 * 1024 * 1024)
      .describe('Payload bytes kept per session, both directions together; beyond it the session is marked truncated and counted (flow.depth_truncated).'),
    memcapBytes: positiveInt()
      .default(512 * 1024 * 1024)
      .describe('Memory for flow state and buffered payload; when reached, the eviction policy ends sessions early and counts them (flow.memcap_evictions).'),
    maxFlows: positiveInt().default(1_000_000).describe('Sessions tracked at once; when reached, the eviction policy ends one to make room (flow.max_flows_evictions).'),
    evictionPolicy: z.enum(['oldest_idle_first']).default('oldest_idle_first').describe('Which sessions end first when a cap is reached: the one idle longest.'),
    overlapPolicy: z
      .enum(['first', 'last'])
      .default('first')
      .describe('Which copy wins when overlapping TCP segments disagree (first: the bytes already received, as BSD and Windows do; last: the newer bytes). Disagreement is counted as reassembly_overlap_mismatch either way.'),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    decode: decodeSchema.describe('Packet decoding: IP fragment reassembly and tunnels.'),
    flow: flowSchema.describe('The flow table and TCP reassembly.'),
  })
  .prefault({});

export type Config = z.infer<typeof configSchema>;
export type DecodeConfig = Config['decode'];
export type FlowConfig = Config['flow'];
