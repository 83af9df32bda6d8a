/**
 * The attacker code of the shared corpus, pulled out of the captures with tshark by protocol and
 * direction only (nothing here knows any capture's bytes), with what each payload needs from its
 * emulated process: used by the corpus tests, the whole-run differential test and the CPU bench.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptedEndpoint, type NetworkEndpoint } from '../../src/emulator/behaviour/network-endpoint.ts';
import type { ProfileOptions } from '../../src/emulator/finder/profile-shellcode.ts';
import { applicationModulesFor } from '../../src/emulator/windows/application-images.ts';
import { defaultCatalogue } from '../../src/sandbox/index.ts';
import { corpusDir, skipWithoutCorpus } from './corpus.ts';

/**
 * The payload bytes of the packets matching `filter`, in capture order, joined. tshark takes
 * seconds on the larger captures and several test files ask for the same payloads, so results are
 * kept in the temp folder, keyed by capture (path, size, mtime), filter and fields.
 */
export function corpusPayload(capture: string, filter: string, fields: string[] = ['tcp.payload']): Uint8Array {
  const path = join(corpusDir(), capture);
  const stat = statSync(path);
  const key = createHash('sha256').update(JSON.stringify([path, stat.size, stat.mtimeMs, filter, fields])).digest('hex').slice(0, 32);
  const cacheDir = join(tmpdir(), 'crashtest-corpus-payloads');
  const cached = join(cacheDir, `${key}.bin`);
  try {
    return new Uint8Array(readFileSync(cached));
  } catch {
    // not extracted yet
  }
  const text = execFileSync('tshark', ['-r', path, '-Y', filter, '-T', 'fields', ...fields.flatMap((field) => ['-e', field])], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const bytes = Uint8Array.from(Buffer.from(text.replace(/[:\s]/g, ''), 'hex'));
  mkdirSync(cacheDir, { recursive: true });
  // written aside and renamed, so a test file running alongside never reads half a payload
  const partial = `${cached}.${process.pid}.tmp`;
  writeFileSync(partial, bytes);
  renameSync(partial, cached);
  return bytes;
}

/** false when the corpus and tshark are there, else why the corpus shellcode cannot be had */
export function skipWithoutCorpusShellcode(): string | false {
  const missing = skipWithoutCorpus();
  if (missing) return missing;
  return spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0 ? false : 'tshark not installed';
}

/**
 * The profile's knowledge of the vulnerable application for Slammer (sqlsort.dll at its fixed
 * address with its import table), as the catalogue's SQL Server 2000 SP2 profile has it.
 */
export const SQL_SERVER_2000: NonNullable<ProfileOptions['windows']> = {
  applicationModules: applicationModulesFor(defaultCatalogue().get('win-2000-sp4-sql2000-sp2')!),
};

export interface CorpusShellcode {
  name: string;
  /** the stream the finder searches */
  bytes: Uint8Array;
  /** what profileShellcode needs to run it to its behaviour */
  profile: ProfileOptions;
  /** an endpoint that plays the attacker's side further (a stager's stage), when the capture has it */
  endpoint?: () => NetworkEndpoint;
}

/** The four pieces of attacker code the corpus tests run; call only when `skipWithoutCorpusShellcode()` is false. */
export function corpusShellcodes(): CorpusShellcode[] {
  const ms09050 = 'ms09-050-smb2-negotiate-meterpreter.pcap';
  const stage = corpusPayload(ms09050, 'tcp.srcport == 4444 && tcp.len > 0');
  const worms = 'internet-host-2004-worm-background.pcap';
  return [
    { name: 'tivoli-authorization', bytes: corpusPayload('cve-2007-1868-tivoli-auth-overflow.pcap', 'tcp.dstport == 80 && tcp.len > 0'), profile: {} },
    {
      name: 'ms09-050-stager',
      bytes: corpusPayload(ms09050, 'tcp.dstport == 445 && smb.cmd == 0x72'),
      profile: {},
      endpoint: () => new ScriptedEndpoint({ incoming: [stage] }),
    },
    {
      name: 'slammer',
      bytes: corpusPayload(worms, 'udp.dstport == 1434', ['udp.payload']).subarray(0, 376),
      profile: { windows: SQL_SERVER_2000, instructionsPerCandidate: 300_000 },
    },
    { name: 'dcom', bytes: corpusPayload(worms, 'tcp.dstport == 1025 && ip.src == 24.191.223.102 && tcp.len > 0'), profile: {} },
  ];
}
