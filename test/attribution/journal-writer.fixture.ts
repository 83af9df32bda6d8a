/** Child process of journal-crash.test.ts: writes batches forever, printing each committed batch's last id. */
import { SqliteAttributionJournal } from '../../src/drivers/index.ts';

const journal = new SqliteAttributionJournal({ path: process.argv[2]!, retentionDays: 30, maxBytes: 1 << 30 });
let id = 0;
for (;;) {
  const batch = [];
  for (let index = 0; index < 100; index++, id++) {
    batch.push({
      sessionId: id,
      captureSeconds: 1_700_000_000 + id / 1000,
      proto: 'tcp' as const,
      srcIp: `10.${(id >> 16) & 255}.${(id >> 8) & 255}.${id & 255}`,
      srcPort: 1024 + (id % 60_000),
      dstIp: '10.0.0.80',
      dstPort: 445,
      srcMac: 0x020000000000 + id,
      dstMac: 0x020000000080,
      vlan: 10,
      switchName: 'access-1',
      port: `Gi1/0/${id % 48}`,
      ifIndex: id % 48,
      portSeenSeconds: null,
    });
  }
  journal.recordSessions(batch);
  process.stdout.write(`${id - 1}\n`);
}
