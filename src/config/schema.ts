import { z } from 'zod';

/**
 * The one configuration schema. Defaults carry their unit in the key name; every bounded
 * resource names its overflow policy. Unknown keys are errors (strict objects), so a typo stops
 * start-up with the key path instead of being ignored.
 */

const decodeSchema = z
  .strictObject({
    /** IPv4/IPv6 fragments waiting for their datagram */
    fragmentMemcapBytes: z.number().int().positive().default(32 * 1024 * 1024),
    fragmentTimeoutMs: z.number().int().positive().default(30_000), // 30 s, as Linux ipfrag_time
    maxFragmentsPerDatagram: z.number().int().positive().default(256),
    /** GRE/ERSPAN/IP-in-IP nesting before the packet is given up as an anomaly */
    maxEncapsulationDepth: z.number().int().positive().default(4),
  })
  .prefault({});

const flowSchema = z
  .strictObject({
    tcpIdleTimeoutMs: z.number().int().positive().default(3_600_000), // 1 h for established
    tcpEmbryonicTimeoutMs: z.number().int().positive().default(30_000), // SYN seen, no data
    tcpClosedTimeoutMs: z.number().int().positive().default(5_000), // after FIN/RST both ways
    udpIdleTimeoutMs: z.number().int().positive().default(60_000),
    /** bytes kept per session (both directions); beyond it the session is marked truncated */
    reassemblyDepthBytes: z.number().int().positive().default(16 * 1024 * 1024),
    /** total memory for flow state and buffered payload before the eviction policy runs */
    memcapBytes: z.number().int().positive().default(512 * 1024 * 1024),
    maxFlows: z.number().int().positive().default(1_000_000),
    /** which flows go first when a cap is reached */
    evictionPolicy: z.enum(['oldest_idle_first']).default('oldest_idle_first'),
    /** which copy wins when overlapping TCP segments disagree */
    overlapPolicy: z.enum(['first', 'last']).default('first'),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    decode: decodeSchema,
    flow: flowSchema,
  })
  .prefault({});

export type Config = z.infer<typeof configSchema>;
export type DecodeConfig = Config['decode'];
export type FlowConfig = Config['flow'];
