import { readFileSync } from 'node:fs';

/** One file of the dashboard page, held in memory: the page is three small static files. */
export interface PageAsset {
  path: string;
  contentType: string;
  body: string;
}

const FILES: readonly { path: string; file: string; contentType: string }[] = [
  { path: '/', file: 'index.html', contentType: 'text/html; charset=utf-8' },
  { path: '/app.js', file: 'app.js', contentType: 'text/javascript; charset=utf-8' },
  { path: '/style.css', file: 'style.css', contentType: 'text/css; charset=utf-8' },
];

/** Reads the page from src/web/page/ (no build step: plain HTML, CSS and one ES module). */
export function loadPageAssets(): PageAsset[] {
  return FILES.map(({ path, file, contentType }) => ({ path, contentType, body: readFileSync(new URL(`./page/${file}`, import.meta.url), 'utf8') }));
}
