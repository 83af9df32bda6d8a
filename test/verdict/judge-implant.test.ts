/**
 * The verdict on an implant: attacker code that made itself outlive its run (a hooked dispatch
 * slot, a patched image, queued user-mode code) is `compromised`, with what it hooked as evidence;
 * attacker code that ran and left nothing lasting is `exploited`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DummyObservation } from '../../src/emulator/index.ts';
import type { Observation } from '../../src/sandbox/index.ts';
import { judge } from '../../src/verdict/index.ts';

const dummy = (observation: DummyObservation): Observation => ({ source: 'dummy', observation });
const kernelRun = (events: Array<{ api: string; kind: 'memory' | 'process' | 'other'; summary: string }>): DummyObservation => ({
  kind: 'code',
  at: 0,
  service: 'smb',
  vulnerability: 'MS17-010',
  bytesSha256: '0'.repeat(64),
  trace: { os: 'windows', bits: 64, entryOffset: 0, events: events.map((event, sequence) => ({ ...event, sequence, instruction: sequence, args: {} })), instructionCount: 1_000, endReason: 'exit', virtualTimeMs: 0, droppedEvents: 0 },
});

describe('judging implants', () => {
  it('an implant observation is compromised, its evidence names what was hooked and how', () => {
    const judgement = judge([
      dummy({ kind: 'exploit', at: 0, vulnerable: true, vulnerability: 'MS17-010', service: 'smb', detail: 'pool overflow' }),
      dummy(kernelRun([{ api: 'ntoskrnl.ExAllocatePool', kind: 'memory', summary: 'ExAllocatePool(NonPagedPool, 4096)' }])),
      dummy({ kind: 'implant', at: 0, name: 'srvnet.sys+0x7800', mechanism: 'pointer_hook', detail: 'srvnet.sys pointer at +0x7800 redirected', origin: 'smb' }),
    ]);
    assert.equal(judgement.level, 'compromised');
    assert.deepEqual(judgement.vulnerabilities, ['MS17-010']);
    const implant = judgement.evidence.find((item) => item.kind === 'implant');
    assert.deepEqual(implant, { kind: 'implant', name: 'srvnet.sys+0x7800', origin: 'smb', mechanism: 'pointer_hook', detail: 'srvnet.sys pointer at +0x7800 redirected' });
  });

  it('kernel code that ran without an implant or any outward act is exploited, not compromised', () => {
    const judgement = judge([
      dummy({ kind: 'exploit', at: 0, vulnerable: true, vulnerability: 'MS17-010', service: 'smb', detail: 'pool overflow' }),
      dummy(kernelRun([
        { api: 'cpu.wrmsr', kind: 'other', summary: 'system call handler (IA32_LSTAR) replaced' },
        { api: 'ntoskrnl.ExAllocatePool', kind: 'memory', summary: 'ExAllocatePool(NonPagedPool, 4096)' },
      ])),
    ]);
    assert.equal(judgement.level, 'exploited');
    assert.equal(judgement.evidence.filter((item) => item.kind === 'implant').length, 0);
  });
});
