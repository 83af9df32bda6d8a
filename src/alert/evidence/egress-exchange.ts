import type { Timestamp } from '../../core/index.ts';

/**
 * One conversation a dummy had with the containment, as bytes each way: what the evidence folder's
 * egress.pcap is synthesized from. The containment keeps bytes per connection, not packets, so the
 * pcap is a faithful re-telling of the bytes, not of the original segmentation.
 */
export interface EgressExchange {
  proto: 'tcp' | 'udp' | 'icmp';
  /** the dummy's side */
  from: { ip: string; port: number };
  /** the sink's side (port 0 for ICMP) */
  to: { ip: string; port: number };
  /** bytes the dummy sent (TCP stream, one UDP datagram, or the echo payload) */
  sent: Buffer;
  /** bytes the sink answered with (empty when it did not) */
  received: Buffer;
  time: Timestamp;
  /** who spoke first; default the dummy. FTP and SMTP sinks greet first. */
  order?: 'sent-first' | 'received-first';
}
