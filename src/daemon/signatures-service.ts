/** Learned signatures on disk: read before a run, written after it, exported as Suricata rules. */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { decodeSignatures, encodeSignatures, exportSuricataRules, type LearnedSignature } from '../triage/index.ts';

/** The signatures in `path`, or none when the file does not exist yet. */
export function loadSignatureFile(path: string): LearnedSignature[] {
  if (!existsSync(path)) return [];
  return decodeSignatures(readFileSync(path, 'utf8'), path);
}

/** Written aside and renamed, so a reader never sees half a file. */
export function saveSignatureFile(path: string, signatures: readonly LearnedSignature[]): void {
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, encodeSignatures(signatures));
  renameSync(partial, path);
}

export function suricataRulesFrom(path: string, destination?: string[] | '$HOME_NET'): string {
  return exportSuricataRules(loadSignatureFile(path), destination === undefined ? {} : { destination });
}
