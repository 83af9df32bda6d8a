import type { Endpoint, Session } from '../../src/core/index.ts';

/**
 * A payload-less TCP session record for tests and benchmarks of the stages after flow (attribution,
 * response), which need who talked to whom and when, not bytes. Give what matters; the rest is
 * a plain finished session.
 */
export function sessionRecord(fields: { id: number; client: Endpoint; server: Endpoint; startSeconds: number; endSeconds?: number; vlan?: number }): Session {
  const stats = { frames: 3, bytes: 300, payloadBytes: 0, missingBytes: 0 };
  return {
    id: fields.id,
    proto: 'tcp',
    client: fields.client,
    server: fields.server,
    vlan: fields.vlan ?? -1,
    innerVlan: -1,
    startSeconds: fields.startSeconds,
    startNanoseconds: 0,
    endSeconds: fields.endSeconds ?? fields.startSeconds,
    endNanoseconds: 0,
    toServer: { ...stats },
    toClient: { ...stats },
    midstream: false,
    truncated: false,
    endReason: 'fin',
    turns: [],
    anomalies: [],
  };
}
