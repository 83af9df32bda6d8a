import type { ForwardingEntry, ForwardingTableCapabilities, ForwardingTableReader } from '../../attribution/index.ts';
import { macFromOctets } from '../../attribution/index.ts';
import { oidIndex, SnmpClient, type SnmpTarget, type SnmpValue } from './snmp-client.ts';

/** Q-BRIDGE-MIB (RFC 4363) dot1qTpFdbPort, indexed by fdb id then the six MAC octets. */
export const DOT1Q_TP_FDB_PORT = '1.3.6.1.2.1.17.7.1.2.2.1.2';
export const DOT1Q_TP_FDB_STATUS = '1.3.6.1.2.1.17.7.1.2.2.1.3';
/** BRIDGE-MIB (RFC 4188) dot1dTpFdbPort, indexed by the six MAC octets. */
export const DOT1D_TP_FDB_PORT = '1.3.6.1.2.1.17.4.3.1.2';
export const DOT1D_TP_FDB_STATUS = '1.3.6.1.2.1.17.4.3.1.3';
export const DOT1D_BASE_PORT_IF_INDEX = '1.3.6.1.2.1.17.1.4.1.2';
/** IF-MIB (RFC 2863) */
export const IF_NAME = '1.3.6.1.2.1.31.1.1.1.1';
export const IF_DESCR = '1.3.6.1.2.1.2.2.1.2';
export const IF_ADMIN_STATUS = '1.3.6.1.2.1.2.2.1.7';

/** dot1dTpFdbStatus self(4): the switch's own address, not a host. */
const FDB_STATUS_SELF = 4;

/**
 * Reads a switch's forwarding table over SNMP: Q-BRIDGE first (it carries the VLAN), BRIDGE-MIB
 * when the switch has no Q-BRIDGE table, then bridge port → ifIndex → ifName (or ifDescr).
 */
export class SnmpForwardingTableReader implements ForwardingTableReader {
  readonly capabilities: ForwardingTableCapabilities = { live: true, vlans: true };
  readonly switchName: string;
  private readonly client: SnmpClient;

  constructor(target: SnmpTarget, client?: SnmpClient) {
    this.switchName = target.name;
    this.client = client ?? new SnmpClient(target);
  }

  async readForwardingTable(signal?: AbortSignal): Promise<ForwardingEntry[]> {
    let rows = await this.readQBridge(signal);
    const source = rows.length > 0 ? ('snmp-qbridge' as const) : ('snmp-bridge' as const);
    if (rows.length === 0) rows = await this.readBridge(signal);
    if (rows.length === 0) return [];
    const [portIfIndex, names] = await Promise.all([this.readBasePorts(signal), this.readInterfaceNames(signal)]);
    return rows.map((row) => {
      const ifIndex = portIfIndex.get(row.bridgePort) ?? 0;
      return { ...row, ifIndex, port: names.get(ifIndex) ?? `bridge-port-${row.bridgePort}`, source };
    });
  }

  private async readQBridge(signal?: AbortSignal): Promise<{ mac: number; vlan: number; bridgePort: number }[]> {
    const [ports, statuses] = await Promise.all([this.client.walk(DOT1Q_TP_FDB_PORT, signal), this.client.walk(DOT1Q_TP_FDB_STATUS, signal)]);
    const self = new Set(statuses.filter((row) => row.value === FDB_STATUS_SELF).map((row) => row.oid.slice(DOT1Q_TP_FDB_STATUS.length)));
    return ports
      .filter((row) => typeof row.value === 'number' && row.value > 0 && !self.has(row.oid.slice(DOT1Q_TP_FDB_PORT.length)))
      .map((row) => {
        const index = oidIndex(row.oid, DOT1Q_TP_FDB_PORT);
        return { vlan: index[0]!, mac: macFromOctets(index, 1), bridgePort: row.value as number };
      });
  }

  private async readBridge(signal?: AbortSignal): Promise<{ mac: number; vlan: number; bridgePort: number }[]> {
    const [ports, statuses] = await Promise.all([this.client.walk(DOT1D_TP_FDB_PORT, signal), this.client.walk(DOT1D_TP_FDB_STATUS, signal)]);
    const self = new Set(statuses.filter((row) => row.value === FDB_STATUS_SELF).map((row) => row.oid.slice(DOT1D_TP_FDB_STATUS.length)));
    return ports
      .filter((row) => typeof row.value === 'number' && row.value > 0 && !self.has(row.oid.slice(DOT1D_TP_FDB_PORT.length)))
      .map((row) => ({ vlan: -1, mac: macFromOctets(oidIndex(row.oid, DOT1D_TP_FDB_PORT)), bridgePort: row.value as number }));
  }

  private async readBasePorts(signal?: AbortSignal): Promise<Map<number, number>> {
    const rows = await this.client.walk(DOT1D_BASE_PORT_IF_INDEX, signal);
    return new Map(rows.map((row) => [oidIndex(row.oid, DOT1D_BASE_PORT_IF_INDEX)[0]!, Number(row.value)]));
  }

  /** ifIndex → ifName, or ifDescr where ifName is missing or empty. */
  async readInterfaceNames(signal?: AbortSignal): Promise<Map<number, string>> {
    const [names, descriptions] = await Promise.all([this.client.walk(IF_NAME, signal), this.client.walk(IF_DESCR, signal)]);
    const out = new Map<number, string>();
    const put = (rows: SnmpValue[], column: string) => {
      for (const row of rows) {
        const text = row.value == null ? '' : row.value.toString();
        const ifIndex = oidIndex(row.oid, column)[0]!;
        if (text !== '' && !out.has(ifIndex)) out.set(ifIndex, text);
      }
    };
    put(names, IF_NAME);
    put(descriptions, IF_DESCR);
    return out;
  }

  close(): void {
    this.client.close();
  }
}
