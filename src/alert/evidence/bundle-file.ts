import { readFile, rename, writeFile } from 'node:fs/promises';
import { CrashtestError } from '../../core/index.ts';
import { decodeBundle, encodeBundle } from './bundle-json.ts';
import type { ReplayBundle } from './replay-bundle.ts';

/** Writes bundle.json through a temporary file and a rename, so a reader never sees half a bundle. */
export async function writeBundle(path: string, bundle: ReplayBundle): Promise<void> {
  const partial = `${path}.partial`;
  try {
    await writeFile(partial, encodeBundle(bundle));
    await rename(partial, path);
  } catch (error) {
    throw new CrashtestError('CT_ERR_EVIDENCE_WRITE', `cannot write replay bundle ${path}: ${(error as Error).message}`, { file: path }, { cause: error });
  }
}

/** Reads and validates a bundle; anything unreadable or damaged is CT_ERR_BUNDLE_INVALID naming the field. */
export async function readBundle(path: string): Promise<ReplayBundle> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CrashtestError('CT_ERR_BUNDLE_INVALID', `cannot read replay bundle ${path}: ${(error as Error).message}`, { file: path }, { cause: error });
  }
  return decodeBundle(text, path);
}
