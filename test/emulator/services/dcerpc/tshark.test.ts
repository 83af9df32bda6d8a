/**
 * The dummy's answers as tshark's DCE/RPC dissector sees them: a conversation with the endpoint
 * mapper and srvsvc written to a pcap (port 135 for the mapper; srvsvc carried on a dynamic port
 * decoded as DCE/RPC), dissected without a malformed-packet or expert error.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildPcap } from '../../../../src/capture/index.ts';
import { dceRpcService } from '../../../../src/emulator/services/dcerpc/index.ts';
import { ethernet, ipv4, tcp } from '../../../helpers/packets.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';
import { bindPdu, eptMapStub, INTERFACES, requestPdu } from './rpc-client.ts';

const tsharkMissing = spawnSync('tshark', ['--version']).status !== 0;

describe('DCE/RPC answers under tshark', { skip: tsharkMissing ? 'tshark not installed' : false }, () => {
  it('bind_ack, ept_map response and fault dissect cleanly', () => {
    const host = new TestServiceHost('win-2008r2-sp1-dc');
    const connection = dceRpcService().open(host, { address: '10.0.0.1', port: 40000 }, 135);
    const client = [bindPdu([INTERFACES.epmapper, INTERFACES.srvsvc]), requestPdu(3, eptMapStub(INTERFACES.netlogon.uuid, 1)), requestPdu(99, new Uint8Array(8), { callId: 3 })];
    const frames = [];
    let clientSeq = 1000;
    let serverSeq = 5000;
    let second = 1_700_000_000;
    for (const request of client) {
      const answer = Buffer.from(connection.receive(request));
      frames.push({ seconds: second++, nanoseconds: 0, data: segment('10.0.0.1', '10.0.0.2', 40000, 135, clientSeq, serverSeq, request) });
      clientSeq += request.length;
      frames.push({ seconds: second++, nanoseconds: 0, data: segment('10.0.0.2', '10.0.0.1', 135, 40000, serverSeq, clientSeq, answer) });
      serverSeq += answer.length;
    }
    const directory = mkdtempSync(join(tmpdir(), 'dcerpc-'));
    try {
      const file = join(directory, 'epm.pcap');
      writeFileSync(file, buildPcap(1, frames));
      const text = execFileSync('tshark', ['-r', file, '-V', '-o', 'tcp.analyze_sequence_numbers:FALSE'], { encoding: 'utf8' });
      assert.ok(!/Malformed|Expert Info \((Error|Warning)/.test(text), text);
      assert.match(text, /Packet type: Bind_ack \(12\)/);
      assert.match(text, /Ack result: Acceptance \(0\)/);
      assert.match(text, /Ack result: Provider rejection \(2\)/);
      assert.match(text, /Opnum: 3/);
      assert.match(text, /TCP Port: 49152/);
      assert.match(text, /Packet type: Fault \(3\)/);
      assert.match(text, /nca_op_rng_error/);
    } finally {
      if (!process.env.KEEP_PCAP) rmSync(directory, { recursive: true, force: true });
    }
  });
});

function segment(source: string, destination: string, sourcePort: number, destinationPort: number, seq: number, ack: number, payload: Buffer): Buffer {
  return ethernet('02:00:00:00:00:01', '02:00:00:00:00:02', 0x0800, ipv4({ src: source, dst: destination, protocol: 6 }, tcp({ srcPort: sourcePort, dstPort: destinationPort, seq, ack, flags: 0x18 }, payload)));
}
