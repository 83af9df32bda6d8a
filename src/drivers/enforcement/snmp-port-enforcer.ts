import { CrashtestError } from '../../core/index.ts';
import type { Enforcer, EnforcerCapabilities, Rule } from '../../respond/index.ts';
import { oidIndex, SnmpClient, type SnmpTarget } from '../switch/snmp-client.ts';
import { IF_ADMIN_STATUS, IF_NAME } from '../switch/snmp-forwarding-table-reader.ts';

const ADMIN_UP = 1;
const ADMIN_DOWN = 2;

/**
 * Shuts a port by setting IF-MIB ifAdminStatus to down(2), and restores it with up(1), over SNMP
 * v2c or v3 to the switch the rule names; reads the value back so `applied` means the switch agrees.
 */
export class SnmpPortEnforcer implements Enforcer {
  readonly name = 'snmp';
  readonly capabilities: EnforcerCapabilities = { portDown: true, restore: true, verify: true, touchesNetwork: true };
  private readonly clients = new Map<string, SnmpClient>();
  private readonly targets: Map<string, SnmpTarget>;

  constructor(targets: readonly SnmpTarget[]) {
    this.targets = new Map(targets.map((target) => [target.name, target]));
  }

  accepts(rule: Rule): string | null {
    if (rule.action !== 'port_down') return `action ${rule.action} is not supported`;
    if (!this.targets.has(rule.target.switchName)) return `switch ${rule.target.switchName} is not in attribution.switches`;
    return null;
  }

  async apply(rule: Rule, signal?: AbortSignal): Promise<string> {
    return this.setAdminStatus(rule, ADMIN_DOWN, signal);
  }

  async remove(rule: Rule, signal?: AbortSignal): Promise<string> {
    return this.setAdminStatus(rule, ADMIN_UP, signal);
  }

  /** ifAdminStatus of a port now (1 up, 2 down, 3 testing). */
  async adminStatus(switchName: string, ifIndex: number, signal?: AbortSignal): Promise<number> {
    const [value] = await this.client(switchName).get([`${IF_ADMIN_STATUS}.${ifIndex}`], signal);
    return Number(value?.value);
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private async setAdminStatus(rule: Rule, status: number, signal?: AbortSignal): Promise<string> {
    const { switchName, port } = rule.target;
    const ifIndex = rule.target.ifIndex > 0 ? rule.target.ifIndex : await this.findIfIndex(switchName, port, signal);
    const client = this.client(switchName);
    const oid = `${IF_ADMIN_STATUS}.${ifIndex}`;
    await client.setInteger(oid, status, signal);
    const now = await this.adminStatus(switchName, ifIndex, signal);
    if (now !== status) {
      throw new CrashtestError('CT_ERR_ENFORCEMENT', `switch ${switchName} accepted ifAdminStatus.${ifIndex} = ${status} for ${port} but reads back ${now}`, {
        switch: switchName,
        port,
        ifIndex,
      });
    }
    return `${switchName} ${port} (ifIndex ${ifIndex}) ifAdminStatus ${status === ADMIN_DOWN ? 'down(2)' : 'up(1)'}, read back`;
  }

  private async findIfIndex(switchName: string, port: string, signal?: AbortSignal): Promise<number> {
    const names = await this.client(switchName).walk(IF_NAME, signal);
    const match = names.find((row) => row.value != null && row.value.toString() === port);
    if (!match) throw new CrashtestError('CT_ERR_ENFORCEMENT', `switch ${switchName} has no interface named ${port} (ifName)`, { switch: switchName, port });
    return oidIndex(match.oid, IF_NAME)[0]!;
  }

  private client(switchName: string): SnmpClient {
    let client = this.clients.get(switchName);
    if (!client) {
      const target = this.targets.get(switchName);
      if (!target) throw new CrashtestError('CT_ERR_ENFORCEMENT', `switch ${switchName} is not configured`, { switch: switchName });
      client = new SnmpClient(target);
      this.clients.set(switchName, client);
    }
    return client;
  }
}
