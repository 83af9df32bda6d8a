/** What a capture source reports once it has read everything (or everything up to an error). */

export type CaptureFormat = 'pcap' | 'pcapng';

/** One capture interface: the single pseudo-interface of a pcap file, or a pcapng IDB. */
export interface CaptureInterface {
  /** the `Frame.interfaceId` its frames carry: global across pcapng sections (section 0's first IDB is 0) */
  id: number;
  /** 0-based pcapng section it belongs to (always 0 for pcap) */
  section: number;
  linkType: number;
  /** snapshot length from the header; 0 means "no limit" in pcapng */
  snaplen: number;
  /** timestamp unit as text: '10^-6', '10^-9', '2^-20' … */
  timestampResolution: string;
  /** pcapng if_tsoffset in seconds, 0 when absent */
  timestampOffsetSeconds: number;
  /** pcapng if_name, when the file gives one */
  name?: string;
}

export interface CaptureSummary {
  format: CaptureFormat;
  /** frames delivered to the callback */
  frames: number;
  /** captured bytes delivered (the sum of `frame.data.length`) */
  bytes: number;
  /** bytes of the file (or stream) consumed, headers included */
  fileBytes: number;
  /** distinct link types of the interfaces, in the order they were declared */
  linkTypes: number[];
  interfaces: CaptureInterface[];
  /**
   * pcapng Interface Statistics Blocks' isb_ifdrop, the latest value per interface id; absent when
   * the file has none (pcap files never do).
   */
  interfaceDrops?: Record<number, number>;
}
