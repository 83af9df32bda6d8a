import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildPcap, PcapWriter } from '../../capture/index.ts';
import { CrashtestError, isCrashtestError, LinkType } from '../../core/index.ts';
import type { Frame } from '../../core/index.ts';
import type { BehaviourTrace } from '../../emulator/index.ts';
import type { VerdictEvent } from '../verdict-event.ts';
import { writeBundle } from './bundle-file.ts';
import type { EgressExchange } from './egress-exchange.ts';
import { formatTraceText } from './format-trace-text.ts';
import type { ReplayBundle } from './replay-bundle.ts';
import { synthesizeEgressFrames } from './synthesize-egress-frames.ts';

/** What one verdict's evidence folder is made from. */
export interface EvidenceRecord {
  verdict: VerdictEvent;
  /**
   * The causal session(s)' frames as captured, in order, all of one link type. A capture reader
   * reuses `frame.data` between frames: the caller hands over frames whose bytes it kept.
   */
  sessionFrames: readonly Frame[];
  /** why session.pcap is incomplete (the live capture spool no longer held its frames); written as session-note.txt */
  sessionNote?: string;
  /** the dummy's conversations with the containment */
  egress?: readonly EgressExchange[];
  /** behaviour traces of attacker code that ran, in run order */
  traces?: readonly BehaviourTrace[];
  bundle: ReplayBundle;
}

export interface WrittenEvidence {
  /** absolute path of the folder */
  dir: string;
  /** the verdict as written to verdict.json: `evidence_dir` set */
  verdict: VerdictEvent;
}

/** File names inside an evidence folder. */
export const EVIDENCE_FILES = {
  session: 'session.pcap',
  sessionNote: 'session-note.txt',
  egress: 'egress.pcap',
  trace: 'trace.txt',
  verdict: 'verdict.json',
  bundle: 'bundle.json',
} as const;

/**
 * Writes one folder per verdict under `root`: session.pcap, egress.pcap, trace.txt, verdict.json and
 * bundle.json (and session-note.txt when the session's frames are known to be incomplete). The folder's name is claimed first (an empty directory, so concurrent writers never
 * share one), the files are written into a hidden sibling, and that is renamed over the claimed
 * name: a reader sees either an empty folder or a complete one. Holds no resources between calls.
 * Failures are CT_ERR_EVIDENCE_WRITE (nothing is left behind) or CT_ERR_INVALID_ARGUMENT.
 */
export class EvidenceWriter {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async write(record: EvidenceRecord): Promise<WrittenEvidence> {
    const linkType = sessionLinkType(record.sessionFrames);
    let claimed: string | null = null;
    let partial: string | null = null;
    try {
      await mkdir(this.root, { recursive: true });
      claimed = await this.claimFolder(folderName(record.verdict));
      partial = await mkdtemp(join(this.root, '.partial-'));
      const verdict: VerdictEvent = { ...record.verdict, evidence_dir: claimed };
      await writeSessionPcap(join(partial, EVIDENCE_FILES.session), linkType, record.sessionFrames);
      if (record.sessionNote !== undefined) await writeFile(join(partial, EVIDENCE_FILES.sessionNote), `${record.sessionNote}\n`);
      await writeFile(join(partial, EVIDENCE_FILES.egress), buildPcap(LinkType.ETHERNET, synthesizeEgressFrames(record.egress ?? [])));
      await writeFile(join(partial, EVIDENCE_FILES.trace), formatTraceText(record.traces ?? []));
      await writeFile(join(partial, EVIDENCE_FILES.verdict), `${JSON.stringify(verdict, null, 2)}\n`);
      await writeBundle(join(partial, EVIDENCE_FILES.bundle), record.bundle);
      // rename(2) replaces an empty directory: the claimed name now holds the finished folder
      await rename(partial, claimed);
      return { dir: claimed, verdict };
    } catch (error) {
      await Promise.all([partial, claimed].map((path) => (path === null ? undefined : rm(path, { recursive: true, force: true }).catch(() => undefined))));
      if (isCrashtestError(error, 'CT_ERR_EVIDENCE_WRITE')) throw error;
      const where = claimed ?? this.root;
      throw new CrashtestError('CT_ERR_EVIDENCE_WRITE', `cannot write evidence folder ${where}: ${(error as Error).message}`, { file: where }, { cause: error });
    }
  }

  /** Creates `name` (or `name-2`, `name-3` … when taken) and returns its path. */
  private async claimFolder(name: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const path = join(this.root, attempt === 1 ? name : `${name}-${attempt}`);
      try {
        await mkdir(path);
        return path;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }
}

function sessionLinkType(frames: readonly Frame[]): number {
  const linkType = frames[0]?.linkType ?? LinkType.ETHERNET;
  const other = frames.find((frame) => frame.linkType !== linkType);
  if (other !== undefined) {
    throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `session frames must share one link type for a pcap: frame ${other.index} has ${other.linkType}, the first ${linkType}`);
  }
  return linkType;
}

async function writeSessionPcap(path: string, linkType: number, frames: readonly Frame[]): Promise<void> {
  const writer = await PcapWriter.open(path, { linkType, precision: 'nano' });
  try {
    for (const frame of frames) if (!writer.write(frame)) await writer.flush();
    await writer.close();
  } catch (error) {
    writer.destroy();
    throw error;
  }
}

/** `20240301T120000.123456-flow-42-compromised-winxp-sp1`: sorts by time, says what it is. */
function folderName(verdict: VerdictEvent): string {
  const time = verdict.timestamp.slice(0, 26).replace(/[-:]/g, '');
  const profile = verdict.profile.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return `${time}-flow-${verdict.flow_id}-${verdict.level}-${profile}`;
}
