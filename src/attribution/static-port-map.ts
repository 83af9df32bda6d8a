import { CrashtestError } from '../core/index.ts';
import type { ForwardingEntry, ForwardingTableCapabilities, ForwardingTableReader } from './forwarding-table.ts';
import { parseMac } from './mac-address.ts';

export interface StaticPortEntry {
  mac: string;
  switch: string;
  port: string;
  ifIndex?: number;
}

/** A configured MAC→port map for one switch: the alternative to SNMP where polling is not allowed. */
export class StaticPortMap implements ForwardingTableReader {
  readonly capabilities: ForwardingTableCapabilities = { live: false, vlans: false };
  private readonly entries: ForwardingEntry[];

  constructor(
    readonly switchName: string,
    entries: readonly StaticPortEntry[],
  ) {
    this.entries = entries
      .filter((entry) => entry.switch === switchName)
      .map((entry, index) => {
        const mac = parseMac(entry.mac);
        if (mac < 0) {
          throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `static port map: expected a MAC address, found '${entry.mac}'`, {
            key: `attribution.staticPorts.${index}.mac`,
          });
        }
        return { mac, vlan: -1, bridgePort: -1, ifIndex: entry.ifIndex ?? 0, port: entry.port, source: 'static' as const };
      });
  }

  /** One reader per switch named in the entries. */
  static fromEntries(entries: readonly StaticPortEntry[]): StaticPortMap[] {
    return [...new Set(entries.map((entry) => entry.switch))].map((name) => new StaticPortMap(name, entries));
  }

  async readForwardingTable(): Promise<ForwardingEntry[]> {
    return this.entries.map((entry) => ({ ...entry }));
  }

  close(): void {}
}
