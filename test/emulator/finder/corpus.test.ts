/**
 * Attacker code in the shared corpus: located by the finder and run in the emulated process.
 * Payload bytes are pulled out with tshark (the project's reassembly is not wired in yet) by
 * protocol and direction only; nothing here knows any capture's bytes. The expected behaviour is
 * what the capture's real victim did or what the exploit documents (corpus EXPECTED.md).
 */
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { ScriptedEndpoint } from '../../../src/emulator/behaviour/network-endpoint.ts';
import type { BehaviourTrace } from '../../../src/emulator/behaviour/trace.ts';
import { profileShellcode } from '../../../src/emulator/finder/profile-shellcode.ts';
import { findShellcode } from '../../../src/emulator/finder/shellcode-finder.ts';
import { corpusCaptures } from '../../helpers/corpus.ts';
import { corpusPayload as payload, skipWithoutCorpusShellcode, SQL_SERVER_2000 } from '../../helpers/corpus-shellcode.ts';

const skip = skipWithoutCorpusShellcode();

function summaries(trace: BehaviourTrace | null): string[] {
  return trace?.events.map((event) => event.summary) ?? [];
}

describe('attacker code in the corpus', { skip }, () => {
  it('CVE-2007-1868 (Tivoli): the code in the request connects back to the attacker and binds a shell to the socket', () => {
    const request = payload('cve-2007-1868-tivoli-auth-overflow.pcap', 'tcp.dstport == 80 && tcp.len > 0');
    const result = profileShellcode(request);
    const shown = summaries(result.trace);
    assert.ok(shown.includes('connect 172.16.16.4:4444'), shown.join('\n'));
    assert.ok(shown.includes('exec cmd (stdio: socket 172.16.16.4:4444)'), shown.join('\n'));
    const loop = result.trace!.decoderLoop;
    assert.ok(loop, 'the code decoded itself before running');
    // the decoded code starts just past the decoder loop, in the bytes the loop rewrote
    assert.ok(loop.offset !== undefined && loop.decodedEntryOffset > loop.offset && loop.decodedEntryOffset < loop.offset + 64, JSON.stringify(loop));
    assert.ok(loop.bytesWritten >= 300 && loop.decodedEntryInstruction > 0, JSON.stringify(loop));
  });

  it('MS09-050 (SMB2 negotiate): the stager calls back to 192.168.3.205:4444 and runs the stage it receives', () => {
    const exploit = payload('ms09-050-smb2-negotiate-meterpreter.pcap', 'tcp.dstport == 445 && smb.cmd == 0x72');
    const found = findShellcode(exploit);
    assert.ok(found.length > 0 && found[0]!.hints.os === 'windows');
    const plain = profileShellcode(exploit);
    assert.ok(summaries(plain.trace).includes('connect 192.168.3.205:4444'), summaries(plain.trace).join('\n'));
    assert.equal(plain.trace!.endReason, 'blocked', 'the stager waits for its stage');
    // stretch: the attacker's side of the callback, replayed, delivers the stage
    const stage = payload('ms09-050-smb2-negotiate-meterpreter.pcap', 'tcp.srcport == 4444 && tcp.len > 0');
    const staged = profileShellcode(exploit, {
      endpoint: () => new ScriptedEndpoint({ incoming: [stage] }),
      instructionsPerCandidate: 5_000_000,
      totalInstructions: 40_000_000,
      timeBudgetMs: 30_000,
    });
    const shown = summaries(staged.trace);
    assert.ok(shown.some((line) => /^recv \d{5,} bytes from 192\.168\.3\.205:4444$/.test(line)), shown.join('\n'));
    assert.ok(shown.includes('resolve wininet.dll!InternetOpenA'), 'the stage resolves its own imports');
  });

  it('Slammer (UDP 1434): on a SQL Server 2000 profile the worm sends copies of itself to random addresses on 1434', () => {
    const datagrams = payload('internet-host-2004-worm-background.pcap', 'udp.dstport == 1434', ['udp.payload']);
    const first = datagrams.subarray(0, 376);
    const result = profileShellcode(first, { windows: SQL_SERVER_2000, instructionsPerCandidate: 300_000 });
    const sends = result.trace!.events.filter((event) => event.api === 'ws2_32.sendto');
    assert.ok(sends.length > 100, `${sends.length} sends`);
    assert.ok(sends.every((event) => event.args.port === 1434 && event.args.length === 376 && event.args.bufferReadable === true));
    assert.ok(new Set(sends.map((event) => event.args.address)).size > 100, 'to many different addresses');
    assert.equal(result.trace!.endReason, 'instruction_limit', 'the worm never stops');
  });

  it('DCOM on TCP 1025: the code connects back to its sender, fetches a file and runs it', () => {
    const request = payload('internet-host-2004-worm-background.pcap', 'tcp.dstport == 1025 && ip.src == 24.191.223.102 && tcp.len > 0');
    const result = profileShellcode(request);
    const shown = summaries(result.trace);
    assert.ok(shown.includes('connect 24.191.223.102:19512'), shown.join('\n'));
    assert.ok(shown.some((line) => /^exec \S+\.exe/.test(line)), shown.join('\n'));
    const loop = result.trace!.decoderLoop;
    assert.ok(loop && loop.decodedEntryOffset > (loop.offset ?? 0), JSON.stringify(loop));
  });

  it('benign captures: hardly any candidates, and none that does anything when run', () => {
    let bytes = 0;
    let candidates = 0;
    for (const capture of corpusCaptures().filter((file) => basename(file).startsWith('benign-'))) {
      const stream = payload(basename(capture), 'tcp.len > 0 || udp.length > 8', ['tcp.payload', 'udp.payload']);
      bytes += stream.length;
      const found = findShellcode(stream);
      candidates += found.length;
      if (found.length === 0) continue;
      const result = profileShellcode(stream, { totalInstructions: 2_000_000 });
      assert.ok(!result.trace?.events.some((event) => ['network', 'process', 'download'].includes(event.kind)), basename(capture));
    }
    assert.ok(candidates / (bytes / 1024 / 1024) < 1, `${candidates} candidates in ${bytes} bytes`);
  });
});
