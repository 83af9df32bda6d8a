import type { MacPortSource } from './journal.ts';

/** One row of a switch's forwarding table, already mapped from bridge port to interface. */
export interface ForwardingEntry {
  mac: number;
  /** VLAN (Q-BRIDGE fdb id, which is the VLAN id on switches with independent VLAN learning); -1 when unknown */
  vlan: number;
  /** dot1dBasePort, -1 for static maps */
  bridgePort: number;
  /** ifIndex, 0 when unknown */
  ifIndex: number;
  /** ifName, falling back to ifDescr, falling back to `bridge-port-N` */
  port: string;
  source: MacPortSource;
}

export interface ForwardingTableCapabilities {
  /** reads a live table (SNMP) rather than a fixed map */
  live: boolean;
  /** carries VLAN per entry (Q-BRIDGE) */
  vlans: boolean;
}

/** A source of MAC→port facts for one switch: SNMP bridge tables, or a static map. */
export interface ForwardingTableReader {
  readonly switchName: string;
  readonly capabilities: ForwardingTableCapabilities;
  readForwardingTable(signal?: AbortSignal): Promise<ForwardingEntry[]>;
  close(): void;
}
