/**
 * For every corpus capture: our sessions against tshark 4.0 on the same file.
 *
 * 1. Per address+port pair and direction, TCP and UDP frame and byte totals equal `-z conv,tcp
 *    -z conv,udp` (exact bytes; see scripts/tshark-reference.ts). Both sides sum over every session
 *    of the pair: tshark's conv keys by addresses and ports (not VLAN, not port reuse), so do we here.
 *    No exception is needed: IP fragments agree because the decoder emits a reassembled datagram with
 *    its last fragment's frame, as tshark does; TCP/UDP headers quoted in ICMP errors count for
 *    neither.
 * 2. Each TCP session's reassembled bytes per direction (its turns concatenated) equal
 *    `-z follow,tcp,raw` of the matching tcp.stream. One documented policy difference: the two tools
 *    split a pair into sessions differently in payload-less situations seen in the corpus, so only
 *    sessions and streams that carry payload are paired (a split that moves payload still fails), and
 *    the payload-less differences are listed as diagnostics:
 *    - a FIN or RST that arrives after one of our timeouts ended the session (closed flows after
 *      flow.tcpClosedTimeoutMs = 5 s, half-closed or idle ones after tcpIdleTimeoutMs = 1 h) starts a
 *      new mid-stream session here; tshark has no timeouts (ek-to-cryptowall4-driveby 49328 → 80:
 *      FIN retransmissions for 85 s, then RST; internet-host-2004-worm-background 1050 → 80: RST 2.5 h
 *      after the server's FIN);
 *    - a SYN with a new ISN on a flow that only ever saw SYNs stays in that flow here; tshark starts a
 *      new tcp.stream (ms17-010-eternalromance-success-2008r2, 55859 → 5555 and 55860 → 3337, 22 s
 *      after the last SYN, within flow.tcpEmbryonicTimeoutMs).
 *
 * References are generated once per file hash into .cache/tshark-ref (never committed).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Session } from '../../src/core/index.ts';
import { runSessionsJob } from '../../src/daemon/index.ts';
import { tsharkReference, type TsharkReference } from '../../scripts/tshark-reference.ts';
import { corpusCaptures, skipWithoutCorpus } from '../helpers/corpus.ts';
import { compareStreams, compareTotals, ourTotals, tsharkTotals } from './session-comparison.ts';

const captures = corpusCaptures();
const tsharkMissing = spawnSync('tshark', ['--version']).status === 0 ? false : 'tshark is not installed (apt-get install tshark)';
const references = new Map<string, Promise<TsharkReference>>();

/** tshark spends most of its time starting up: two at a time keeps both cores busy on a cold cache. */
async function prefetchReferences(files: readonly string[], parallel = 2): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      const promise = tsharkReference(file);
      references.set(file, promise);
      await promise.catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

async function sessionsOf(file: string): Promise<Session[]> {
  const sessions: Session[] = [];
  const result = await runSessionsJob([file], { onSession: (session) => sessions.push(session) });
  const error = result.files[0]!.error;
  assert.equal(error, null, `reading ${file} failed: ${error?.message}`);
  return sessions;
}

describe('sessions equal tshark conv and follow on the corpus', { skip: skipWithoutCorpus() || tsharkMissing, timeout: 600_000 }, () => {
  before(() => prefetchReferences(captures), { timeout: 600_000 });

  for (const file of captures) {
    it(basename(file), async (t) => {
      const reference = await (references.get(file) ?? tsharkReference(file));
      const sessions = await sessionsOf(file);

      const totals = compareTotals(ourTotals(sessions), tsharkTotals(reference));
      assert.deepEqual(
        totals.map((d) => `${d.key}: ours ${d.ours.frames} frames/${d.ours.bytes} bytes, tshark ${d.tshark.frames}/${d.tshark.bytes}`),
        [],
        'per-pair frame and byte totals differ from tshark conv',
      );

      const { differences, payloadlessSplits } = compareStreams(sessions, reference);
      assert.deepEqual(
        differences.map((d) => `${d.pair}${d.index >= 0 ? ` #${d.index}` : ''}: ${d.problem}`),
        [],
        'reassembled streams differ from tshark follow,tcp,raw',
      );
      for (const split of payloadlessSplits) t.diagnostic(`payload-less split (policy difference): ${split}`);
    });
  }
});
