/**
 * The x64 kernel payloads of the MS17-010 corpus captures run in the emulated Windows 7 / 2008 R2
 * kernel to what the exploits document: the DOUBLEPULSAR implant hooks srv.sys's Trans2 dispatch
 * table (the TRANS2_SESSION_SETUP slot) with code copied into nonpaged pool. The payloads come out
 * of the captures with tshark (SMB to port 445, client to server); nothing here knows their bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { profileShellcode } from '../../../src/emulator/finder/profile-shellcode.ts';
import { corpusPayload, skipWithoutCorpusShellcode } from '../../helpers/corpus-shellcode.ts';

const skip = skipWithoutCorpusShellcode();
if (skip) console.log(`# MS17-010 kernel payload tests skipped: ${skip}`);

function implantOf(capture: string) {
  const stream = corpusPayload(capture, 'tcp.dstport == 445 && tcp.len > 0');
  const result = profileShellcode(stream);
  const trace = result.trace!;
  const summaries = trace.events.map((event) => event.summary);
  const implant = trace.events.find((event) => event.summary === 'kernel dispatch table hooked (implant installed)');
  assert.ok(implant, summaries.join('\n'));
  assert.equal(implant.args.module, 'srv.sys');
  assert.equal(implant.args.subcommand, 'TRANS2_SESSION_SETUP');
  assert.equal(implant.args.hookInPool, true);
  assert.equal(typeof implant.args.copiedFromInputOffset, 'number', 'the hook runs code copied out of the exploit traffic');
  assert.equal(trace.endReason, 'exit', trace.endDetail);
  return { trace, summaries };
}

describe('MS17-010 kernel payloads in the corpus', { skip }, () => {
  it('EternalBlue (Windows 7): the payload hooks IA32_LSTAR, and on the next system call installs the implant and hands back to KiSystemCall64', () => {
    const { summaries } = implantOf('ms17-010-eternalblue-success-win7.pcap');
    assert.ok(summaries.some((line) => line.startsWith('system call handler (IA32_LSTAR) replaced with 0x')), summaries.join('\n'));
    assert.ok(summaries.includes('system call handler (IA32_LSTAR) restored to KiSystemCall64'));
    assert.ok(summaries.includes('ZwQuerySystemInformation(SystemModuleInformation, 0 bytes)'), 'it lists the loaded modules to find srv.sys');
    assert.equal(summaries.at(-1), 'the system call continues in KiSystemCall64');
  });

  it('EternalRomance (2008 R2): the payload checks the version, finds srv.sys and installs the implant', () => {
    const { summaries } = implantOf('ms17-010-eternalromance-success-2008r2.pcap');
    assert.ok(summaries.includes('RtlGetVersion: 6.1.7601 (Service Pack 1)'), summaries.join('\n'));
    assert.ok(summaries.some((line) => /^ExAllocatePool\(NonPagedPool, \d+\)/.test(line)));
  });
});
