/**
 * Every corpus capture reads without error, and frame for frame agrees with tshark (count, link
 * type, captured and original lengths, timestamp to the nanosecond).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { LinkType } from '../../src/core/index.ts';
import { readCaptureFile } from '../../src/capture/index.ts';
import { corpusCaptures, skipWithoutCorpus } from '../helpers/corpus.ts';

const run = promisify(execFile);

/** Wireshark's encapsulation short names (capinfos -E) for our link types. */
const ENCAPSULATION_LINK_TYPE: Record<string, number> = {
  null: LinkType.NULL,
  ether: LinkType.ETHERNET,
  rawip: LinkType.RAW,
  rawip4: LinkType.IPV4,
  rawip6: LinkType.IPV6,
  loop: LinkType.LOOP,
  'linux-sll': LinkType.LINUX_SLL,
  'linux-sll2': LinkType.LINUX_SLL2,
};

function toolsMissing(): string | false {
  const skip = skipWithoutCorpus();
  if (skip !== false) return skip;
  const missing = ['tshark', 'capinfos'].filter((tool) => spawnSync(tool, ['-v']).status !== 0);
  return missing.length > 0 ? `${missing.join(' and ')} not installed` : false;
}

async function tsharkRows(path: string): Promise<string[]> {
  const fields = ['frame.len', 'frame.cap_len', 'frame.time_epoch'].flatMap((field) => ['-e', field]);
  // only the frame dissector: tshark's start-up and dissection dominate this test otherwise
  const args = ['-n', '-r', path, '--disable-protocol', 'ALL', '--enable-protocol', 'frame', '-T', 'fields', ...fields];
  const { stdout } = await run('tshark', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim() === '' ? [] : stdout.trim().split('\n');
}

async function capinfosEncapsulation(paths: string[]): Promise<Map<string, string>> {
  const { stdout } = await run('capinfos', ['-T', '-m', '-E', ...paths], { maxBuffer: 16 * 1024 * 1024 });
  const rows = stdout.trim().split('\n').slice(1);
  return new Map(rows.map((row) => row.split(',') as [string, string]));
}

describe('corpus captures read like tshark reads them', { skip: toolsMissing(), concurrency: 3 }, () => {
  const paths = corpusCaptures();
  let encapsulations: Map<string, string>;
  before(async () => {
    encapsulations = await capinfosEncapsulation(paths);
  });

  for (const path of paths) {
    it(basename(path), async () => {
      const expected = await tsharkRows(path);
      const seen: string[] = [];
      const linkTypes = new Set<number>();
      const summary = await readCaptureFile(
        path,
        (frame) => {
          linkTypes.add(frame.linkType);
          seen.push(`${frame.originalLength}\t${frame.data.length}\t${frame.seconds}.${String(frame.nanoseconds).padStart(9, '0')}`);
        },
        { chunkBytes: 64 * 1024 },
      );
      assert.equal(summary.frames, expected.length, 'frame count');
      assert.deepEqual(seen, expected, 'lengths and times');
      const encapsulation = encapsulations.get(path);
      assert.ok(encapsulation !== undefined && encapsulation in ENCAPSULATION_LINK_TYPE, `capinfos says ${encapsulation}`);
      assert.deepEqual([...linkTypes], [ENCAPSULATION_LINK_TYPE[encapsulation]], 'link type');
    });
  }
});
