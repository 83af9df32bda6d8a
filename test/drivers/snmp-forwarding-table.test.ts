import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatMac } from '../../src/attribution/index.ts';
import { SnmpClient, SnmpForwardingTableReader } from '../../src/drivers/index.ts';
import { SIM_MAC_A, SIM_MAC_B, SNMPD_MISSING, SNMPSIM_MISSING, startSnmpd, startSnmpSim, switchRecords, target, type RunningAgent } from './snmp-agents.ts';

describe('SNMP forwarding table reader against a simulated switch (snmpsim)', { skip: SNMPSIM_MISSING }, () => {
  let sim: RunningAgent;
  before(async () => {
    sim = await startSnmpSim({ switch: switchRecords({ qbridge: true }), bridgeonly: switchRecords({ qbridge: false }) });
  });
  after(async () => sim?.stop());

  const expectTable = (entries: Awaited<ReturnType<SnmpForwardingTableReader['readForwardingTable']>>, vlan: number, source: string) => {
    const byMac = new Map(entries.map((entry) => [formatMac(entry.mac), entry]));
    assert.equal(entries.length, 2, 'the switch’s own address (status self) is left out');
    assert.deepEqual(byMac.get(SIM_MAC_A), { mac: 0x02000000000a, vlan, bridgePort: 3, ifIndex: 10103, port: 'Gi1/0/3', source });
    assert.equal(byMac.get(SIM_MAC_B)?.port, 'Te1/1/1');
  };

  test('v2c: Q-BRIDGE dot1qTpFdbPort, mapped through dot1dBasePortIfIndex to ifName', async () => {
    const reader = new SnmpForwardingTableReader(target(sim.port));
    try {
      expectTable(await reader.readForwardingTable(), 10, 'snmp-qbridge');
    } finally {
      reader.close();
    }
  });

  test('v3 authPriv (SHA/AES) reads the same table', async () => {
    const reader = new SnmpForwardingTableReader(target(sim.port, { version: '3', context: 'switch' }));
    try {
      expectTable(await reader.readForwardingTable(), 10, 'snmp-qbridge');
    } finally {
      reader.close();
    }
  });

  test('a switch without Q-BRIDGE falls back to BRIDGE-MIB dot1dTpFdbPort', async () => {
    const reader = new SnmpForwardingTableReader(target(sim.port, { community: 'bridgeonly' }));
    try {
      expectTable(await reader.readForwardingTable(), -1, 'snmp-bridge');
    } finally {
      reader.close();
    }
  });

  test('wrong v3 keys fail with CT_ERR_SNMP naming the switch', async () => {
    const reader = new SnmpForwardingTableReader(target(sim.port, { version: '3', authKey: 'wrong-auth-key', timeoutMs: 300, retries: 0 }));
    try {
      await assert.rejects(reader.readForwardingTable(), (error: Error & { code?: string }) => error.code === 'CT_ERR_SNMP' && /sim-switch/.test(error.message));
    } finally {
      reader.close();
    }
  });
});

describe('SNMP reads against Debian snmpd', { skip: SNMPD_MISSING }, () => {
  let snmpd: RunningAgent;
  before(async () => {
    snmpd = await startSnmpd();
  });
  after(async () => snmpd?.stop());

  test('v2c and v3 authPriv get sysDescr; interface names walk; no bridge table gives an empty forwarding table', async () => {
    const v2 = new SnmpClient(target(snmpd.port, { name: 'snmpd', community: 'public' }));
    const v3 = new SnmpClient(target(snmpd.port, { name: 'snmpd', version: '3', context: '' }));
    try {
      const [v2Descr] = await v2.get(['1.3.6.1.2.1.1.1.0']);
      const [v3Descr] = await v3.get(['1.3.6.1.2.1.1.1.0']);
      assert.equal(String(v2Descr!.value), 'crashtest test snmpd');
      assert.equal(String(v3Descr!.value), 'crashtest test snmpd');
      const reader = new SnmpForwardingTableReader(target(snmpd.port, { name: 'snmpd', version: '3', context: '' }));
      const names = await reader.readInterfaceNames();
      assert.ok([...names.values()].includes('lo'), `interfaces: ${[...names.values()].join(', ')}`);
      assert.deepEqual(await reader.readForwardingTable(), []);
      reader.close();
    } finally {
      v2.close();
      v3.close();
    }
  });

  test('a read-only community cannot set ifAdminStatus (CT_ERR_SNMP)', async () => {
    const client = new SnmpClient(target(snmpd.port, { name: 'snmpd', community: 'public', timeoutMs: 500, retries: 0 }));
    try {
      await assert.rejects(client.setInteger('1.3.6.1.2.1.2.2.1.7.1', 1), { code: 'CT_ERR_SNMP' });
    } finally {
      client.close();
    }
  });
});
