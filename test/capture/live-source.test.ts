/**
 * Live capture through tcpdump on a veth pair the test creates: the host end stays in our
 * namespace and is captured; the peer end lives in a fresh network namespace where tcpreplay
 * sends a corpus capture. No other interface is touched. IPv6 is disabled on both ends before
 * they come up so the kernel adds no router solicitations or MLD reports to the comparison.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isCrashtestError, LinkType } from '../../src/core/index.ts';
import { LiveCaptureSource, parseCaptureBuffer, type LiveCaptureDeath } from '../../src/capture/index.ts';
import { corpusCaptures, skipWithoutCorpus } from '../helpers/corpus.ts';

const namespace = `ctcap${process.pid}`;
const hostEnd = `ctc${process.pid}h`;
const peerEnd = `ctc${process.pid}p`;

function command(program: string, ...args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(program, args, { encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}` };
}

function mustRun(program: string, ...args: string[]): void {
  const result = command(program, ...args);
  if (!result.ok) throw new Error(`${program} ${args.join(' ')} failed: ${result.output}`);
}

function whyLiveIsSkipped(): string | false {
  if (process.getuid?.() !== 0) return 'live capture test needs root (network namespaces, tcpdump)';
  for (const tool of ['ip', 'tcpdump', 'tcpreplay']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `live capture test needs ${tool}, which is not installed`;
  }
  return skipWithoutCorpus();
}

/** An Ethernet corpus capture whose frames all fit a 1500-byte MTU, so tcpreplay sends every one. */
function pickCapture(): { path: string; frames: Buffer[] } {
  for (const path of corpusCaptures()) {
    const frames: Buffer[] = [];
    let usable = true;
    parseCaptureBuffer(readFileSync(path), (frame) => {
      if (frame.linkType !== LinkType.ETHERNET || frame.data.length > 1514 || frame.data.length < 14 || frame.data.length !== frame.originalLength) usable = false;
      frames.push(Buffer.from(frame.data));
    });
    if (usable && frames.length >= 50 && frames.length <= 400) return { path, frames };
  }
  throw new Error('no suitable Ethernet capture in the corpus');
}

const skip = whyLiveIsSkipped();

describe('LiveCaptureSource', { skip }, () => {
  before(() => {
    mustRun('ip', 'netns', 'add', namespace);
    mustRun('ip', 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', peerEnd);
    mustRun('ip', 'link', 'set', peerEnd, 'netns', namespace);
    mustRun('sysctl', '-q', '-w', `net.ipv6.conf.${hostEnd}.disable_ipv6=1`);
    mustRun('ip', 'netns', 'exec', namespace, 'sysctl', '-q', '-w', `net.ipv6.conf.${peerEnd}.disable_ipv6=1`);
    mustRun('ip', 'link', 'set', hostEnd, 'up');
    mustRun('ip', 'netns', 'exec', namespace, 'ip', 'link', 'set', peerEnd, 'up');
  });

  after(() => {
    // deleting the namespace deletes the peer end and with it the pair; the host end is a fallback
    command('ip', 'netns', 'del', namespace);
    command('ip', 'link', 'del', hostEnd);
  });

  it('sees exactly the frames tcpreplay sends into the veth', async (t) => {
    const { path, frames: expected } = pickCapture();
    const seen: Buffer[] = [];
    let dropped = 0;
    const source = await LiveCaptureSource.open({
      interface: hostEnd,
      onFrame: (frame) => {
        assert.equal(frame.fileOffset, -1);
        assert.equal(frame.linkType, LinkType.ETHERNET);
        seen.push(Buffer.from(frame.data));
      },
      // kernel blocks (TPACKET_V3) pack frames by size, so a busy machine loses none of these;
      // the wait below covers their delivery delay
      bufferKiB: 8192,
    });
    try {
      const replay = command('ip', 'netns', 'exec', namespace, 'tcpreplay', '-q', '--pps=500', '-i', peerEnd, path);
      assert.ok(replay.ok, replay.output);
      const deadline = Date.now() + 15_000;
      while (seen.length < expected.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const running = await source.stats();
      assert.ok(running.receivedByFilter >= expected.length, `SIGUSR1 report: ${JSON.stringify(running)}`);
    } finally {
      const summary = await source.close();
      t.diagnostic(`${basename(path)}: ${summary.frames} frames live; tcpdump: ${summary.captured} captured, ${summary.receivedByFilter} received by filter, ${summary.droppedByKernel} dropped by kernel, ${summary.droppedByInterface} dropped by interface`);
      assert.equal(summary.frames, seen.length);
      assert.equal(summary.linkType, LinkType.ETHERNET);
      assert.equal(summary.died, undefined);
      assert.equal(summary.partialRecordBytes, 0);
      // close() waited for what the ring held: nothing tcpdump accepted was left unread at stop
      assert.equal(summary.undelivered, 0, 'frames accepted by the ring but never delivered');
      assert.equal(summary.receivedByFilter, summary.frames + summary.droppedByKernel + summary.undelivered, 'received by filter = delivered + dropped + undelivered');
      // On a starved machine the kernel may drop a few; then the count must say exactly how many.
      assert.equal(seen.length + summary.droppedByKernel, expected.length, 'frames seen + dropped by kernel');
      dropped = summary.droppedByKernel;
    }
    // what was seen is what was sent, in order (a subsequence when the kernel reported drops)
    let next = 0;
    for (const [index, data] of seen.entries()) {
      while (next < expected.length && !data.equals(expected[next]!)) next++;
      assert.ok(next < expected.length, `frame ${index} was never sent`);
      if (dropped === 0) assert.equal(next, index, `frame ${index} differs`);
      next++;
    }
    assert.equal(source.closed, true);
    await assert.rejects(source.stats(), (error: unknown) => isCrashtestError(error, 'CT_ERR_INVALID_STATE'));
    assert.deepEqual(await source.close(), await source.close());
  });

  it('close() right after the traffic still delivers what the kernel ring holds, or counts it', async (t) => {
    const { path, frames: expected } = pickCapture();
    let seen = 0;
    // without --immediate-mode frames wait in a TPACKET_V3 block for up to its timeout (~1 s), so
    // a close() at once finds them in the ring: it must wait for them, not lose them to SIGINT
    const source = await LiveCaptureSource.open({ interface: hostEnd, onFrame: () => void seen++, bufferKiB: 8192 });
    const replay = command('ip', 'netns', 'exec', namespace, 'tcpreplay', '-q', '--topspeed', '-i', peerEnd, path);
    assert.ok(replay.ok, replay.output);
    const summary = await source.close();
    t.diagnostic(`${summary.frames} delivered, ${summary.droppedByKernel} dropped by kernel, ${summary.undelivered} undelivered of ${expected.length}`);
    assert.equal(summary.receivedByFilter, expected.length);
    assert.equal(summary.frames, seen);
    assert.equal(summary.frames + summary.droppedByKernel + summary.undelivered, expected.length, 'every packet delivered or counted');
    assert.equal(summary.undelivered, 0, 'close() drained the ring before stopping tcpdump');
  });

  it('reports a tcpdump that dies on its own', async () => {
    let death: LiveCaptureDeath | undefined;
    const died = new Promise<void>((resolve) => {
      void LiveCaptureSource.open({
        interface: hostEnd,
        onFrame: () => undefined,
        onDied: (report) => {
          death = report;
          resolve();
        },
      }).then((source) => process.kill(source.pid, 'SIGKILL'));
    });
    await died;
    assert.equal(death?.signal, 'SIGKILL');
    assert.ok(isCrashtestError(death?.error, 'CT_ERR_CAPTURE_LIVE'));
    assert.match(death.error.message, /exited on its own \(signal SIGKILL\)/);
  });

  it('names a missing interface', async () => {
    await assert.rejects(LiveCaptureSource.open({ interface: `${hostEnd}x`, onFrame: () => undefined }), (error: unknown) => {
      return isCrashtestError(error, 'CT_ERR_CAPTURE_LIVE') && /no such interface ctc\d+hx/.test(error.message);
    });
  });

  it('names a bad filter', async () => {
    await assert.rejects(LiveCaptureSource.open({ interface: hostEnd, filter: 'tcp port banana', onFrame: () => undefined }), (error: unknown) => {
      return isCrashtestError(error, 'CT_ERR_CAPTURE_LIVE') && /rejected the filter/.test(error.message);
    });
  });
});

describe('LiveCaptureSource without tcpdump', () => {
  it('says tcpdump is missing', async () => {
    await assert.rejects(
      LiveCaptureSource.open({ interface: 'lo', tcpdumpPath: '/nonexistent/tcpdump', onFrame: () => undefined }),
      (error: unknown) => isCrashtestError(error, 'CT_ERR_CAPTURE_LIVE') && /not found/.test(error.message),
    );
  });
});
