/** The attribution stage: session → MAC → switch port, journalled at capture time. */
export type {
  AttributionJournal,
  IpMacObservation,
  IpMacRecord,
  IpMacSource,
  MacPortObservation,
  MacPortRecord,
  MacPortSource,
  PortOccupancy,
  PruneResult,
  SessionAttribution,
} from './journal.ts';
export type { ForwardingEntry, ForwardingTableCapabilities, ForwardingTableReader } from './forwarding-table.ts';
export { IpMacLearner, type IpMacLearnerOptions } from './ip-mac-learner.ts';
export { StaticPortMap, type StaticPortEntry } from './static-port-map.ts';
export { PortPoller, type PortPollerOptions, type PollResult } from './port-poller.ts';
export { Attributor, type AttributorOptions } from './attributor.ts';
export { AttributionQuery, type AttributedTarget, type WhoAnswer } from './attribution-query.ts';
export { formatMac, parseMac, macFromOctets, isMacText } from './mac-address.ts';
