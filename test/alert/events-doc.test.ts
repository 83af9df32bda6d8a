import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderEventsDoc } from '../../scripts/events-doc.ts';

test('docs/events.md equals what scripts/events-doc.ts generates from schemas/', () => {
  const written = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');
  assert.equal(written, renderEventsDoc(), 'regenerate: npx tsx scripts/events-doc.ts > docs/events.md');
});
