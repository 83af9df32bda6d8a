import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The version in package.json, which replay bundles record so a re-run knows what wrote them. */
export function crashtestVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
