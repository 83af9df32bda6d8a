/**
 * tshark dissects the service's answers without malformed-packet errors: client turns and responses
 * are written as one TCP stream per connection into a pcap built with the project's own builders.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildPcap, ethernet, ipv4, tcp } from '../../../../src/capture/index.ts';
import { smbService } from '../../../../src/emulator/services/smb/index.ts';
import { clientTurns, corpusSessions } from '../../../helpers/corpus-sessions.ts';
import { corpusAvailable } from '../../../helpers/corpus.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';
import { fakePipes } from './smb-test-client.ts';

const tsharkMissing = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0 ? false : 'tshark not installed';
const skip = tsharkMissing || (corpusAvailable() ? false : 'corpus not found');
const ACK_PSH = 0x18;

/** Replays each 445 session of the captures and returns the frames of both directions. */
async function dialogFrames(captures: [string, string][]) {
  const frames: { seconds: number; nanoseconds: number; data: Buffer }[] = [];
  let clientPort = 40000;
  for (const [capture, profile] of captures) {
    const host = new TestServiceHost(profile);
    for (const session of await corpusSessions(capture)) {
      if (session.server.port !== 445) continue;
      const connection = smbService({ pipes: fakePipes().opener }).open(host, { address: '10.0.0.9', port: clientPort }, 445);
      let clientSeq = 1;
      let serverSeq = 1;
      const push = (fromClient: boolean, payload: Buffer) => {
        // segments of at most 60000 bytes keep every IPv4 packet under its 16-bit length
        for (let offset = 0; offset < payload.length; offset += 60000) {
          const piece = payload.subarray(offset, offset + 60000);
          const segment = fromClient
            ? tcp({ srcPort: clientPort, dstPort: 445, seq: clientSeq, ack: serverSeq, flags: ACK_PSH, window: 65535 }, piece)
            : tcp({ srcPort: 445, dstPort: clientPort, seq: serverSeq, ack: clientSeq, flags: ACK_PSH, window: 65535 }, piece);
          const packet = ipv4({ src: fromClient ? '10.0.0.9' : '10.0.0.2', dst: fromClient ? '10.0.0.2' : '10.0.0.9', protocol: 6 }, segment);
          frames.push({ seconds: 1_700_000_000 + frames.length, nanoseconds: 0, data: ethernet('02:00:00:00:00:01', '02:00:00:00:00:02', 0x0800, packet) });
          if (fromClient) clientSeq += piece.length;
          else serverSeq += piece.length;
        }
      };
      for (const turn of clientTurns(session)) {
        if (connection.closed) break;
        push(true, turn);
        const reply = Buffer.from(connection.receive(turn));
        if (reply.length > 0) push(false, reply);
      }
      connection.end();
      clientPort++;
    }
  }
  return frames;
}

describe('SMB responses dissected by tshark', { skip }, () => {
  it('no malformed or error-level expert info in the answers to the corpus SMB sessions', async () => {
    const frames = await dialogFrames([
      ['ms17-010-doublepulsar-ping-infected-win7.pcap', 'win-7-sp1-x64'],
      ['ms17-010-eternalromance-success-2008r2.pcap', 'win-2008r2-sp1'],
      ['psexec-smb2-add-user.pcap', 'win-7-sp1-x64'],
      ['cve-2020-0796-smbghost-check.pcap', 'win-7-sp1-x64'],
    ]);
    const folder = mkdtempSync(join(tmpdir(), 'crashtest-smb-'));
    try {
      const file = join(folder, 'dialog.pcap');
      writeFileSync(file, buildPcap(1, frames));
      const result = spawnSync('tshark', ['-r', file, '-Y', 'tcp.srcport == 445 && (_ws.malformed || _ws.expert.severity >= error)', '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Info'], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), '', result.stdout);
      const answered = spawnSync('tshark', ['-r', file, '-Y', 'tcp.srcport == 445 && (smb || smb2)', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
      assert.ok(answered.stdout.trim().split('\n').length > 50, 'tshark sees the answers as SMB');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
