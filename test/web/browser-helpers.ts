/**
 * Browser tests drive Debian's chromium (apt package `chromium`) through playwright-core; no browser
 * is downloaded. They skip, visibly, where it is not installed. Screenshots go to test-artifacts/web/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { repoRoot } from '../helpers/corpus.ts';

export const CHROMIUM_PATH = process.env.CRASHTEST_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(repoRoot, 'test-artifacts', 'web');

/** The `skip` option for a browser test: false when chromium is there, else the message shown. */
export function skipWithoutChromium(): string | false {
  return existsSync(CHROMIUM_PATH) ? false : `chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set CRASHTEST_CHROMIUM)`;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // CI runs as root, where chromium refuses its sandbox; the pages are our own, on loopback
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, `${name}.png`);
}
