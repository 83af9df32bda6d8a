/**
 * Flow-stage measurements, run by hand (not part of the test suite):
 *   node --import tsx bench/flow.ts stream [rounds] [segmentsPerFlow] [flows]
 *   node --expose-gc --import tsx bench/flow.ts footprint
 *   node --import tsx bench/flow.ts flood [synCount]
 * Packets are built in advance (stream) or by the plain-data factory (flood), so decode is not
 * measured; times are CPU time of this process.
 */
import { Counters } from '../src/core/index.ts';
import type { Packet } from '../src/core/index.ts';
import { FlowTable } from '../src/flow/index.ts';
import { TcpFlag, flowConfig, tcp } from '../test/flow/factory.ts';

const mode = process.argv[2] ?? 'stream';
const counters = new Counters();
let sessions = 0;

function cpuSeconds(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function synFrom(index: number, time: number): Packet {
  const src = `${10 + (index >>> 24)}.${(index >>> 16) & 255}.${(index >>> 8) & 255}.${index & 255}`;
  return tcp({ src, dst: '192.0.2.1', srcPort: 1024 + (index % 60000), dstPort: 445, seq: index, flags: TcpFlag.SYN, time });
}

if (mode === 'stream') {
  const rounds = Number(process.argv[3] ?? 50);
  const perFlow = Number(process.argv[4] ?? 8);
  const flows = Number(process.argv[5] ?? 2000);
  const table = new FlowTable(flowConfig(), counters, () => sessions++);
  const payload = Buffer.alloc(1460, 0x61);
  const data: Packet[] = [];
  const acks: Packet[] = [];
  for (let index = 0; index < flows; index++) {
    const src = `10.1.${index >> 8}.${index & 255}`;
    data.push(tcp({ src, dst: '10.9.9.9', srcPort: 40000 + index, dstPort: 80, seq: index * 7919, flags: TcpFlag.ACK, payload, time: 1 }));
    acks.push(tcp({ src: '10.9.9.9', dst: src, srcPort: 80, dstPort: 40000 + index, seq: 1, flags: TcpFlag.ACK, time: 1 }));
  }
  let segments = 0;
  let wireBytes = 0;
  const start = process.cpuUsage();
  for (let round = 0; round < rounds; round++) {
    for (let segment = 0; segment < perFlow; segment++) {
      for (let index = 0; index < flows; index++) {
        const packet = data[index];
        packet.tcp!.seq = (packet.tcp!.seq + 1460) >>> 0;
        table.add(packet);
        segments++;
        wireBytes += 1514;
        if (segment & 1) {
          table.add(acks[index]); // a pure ACK every other segment
          wireBytes += 60;
        }
      }
    }
    table.flush('end_of_capture');
  }
  const seconds = cpuSeconds(start);
  console.log(
    `stream: ${segments} segments of 1460 bytes (+ ACKs), ${flows} flows x ${perFlow} segments per round: ` +
      `${(segments / seconds / 1e6).toFixed(2)} M segments/s, ${((wireBytes * 8) / seconds / 1e9).toFixed(2)} Gbit/s of frames`,
  );
} else if (mode === 'footprint') {
  const count = 500_000;
  const table = new FlowTable(flowConfig({ maxFlows: count }), counters, () => sessions++);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  const packets: Packet[] = [];
  for (let index = 0; index < count; index++) packets.push(synFrom(index, 1));
  gc();
  gc();
  const before = process.memoryUsage();
  for (const packet of packets) table.add(packet);
  gc();
  gc();
  const after = process.memoryUsage();
  const heap = (after.heapUsed - before.heapUsed) / count;
  const columns = (after.arrayBuffers - before.arrayBuffers) / count;
  console.log(`footprint: ${heap.toFixed(0)} heap bytes + ${columns.toFixed(0)} column bytes per SYN-only flow (${table.size} flows)`);
  if (packets.length !== count) throw new Error('unreachable: keeps the packets alive until after the measurement');
} else if (mode === 'flood') {
  const total = Number(process.argv[3] ?? 10_000_000);
  const table = new FlowTable(flowConfig(), counters, () => sessions++);
  const start = process.cpuUsage();
  let peakRss = 0;
  for (let index = 0; index < total; index++) {
    table.add(synFrom(index, 1000 + index / 1_000_000));
    if ((index & 0xfffff) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  table.flush('end_of_capture');
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const seconds = cpuSeconds(start);
  console.log(
    `flood: ${total} SYNs, ${(total / seconds / 1e6).toFixed(2)} M/s, ${sessions} sessions, peak rss ${(peakRss / 2 ** 20).toFixed(0)} MiB, ` +
      `max_flows_evictions ${counters.get('flow.max_flows_evictions')}, timeouts ${counters.get('flow.timeouts.tcp')}`,
  );
}
