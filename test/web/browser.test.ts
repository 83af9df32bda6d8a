import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startWebServer, type WebServer } from '../../src/web/index.ts';
import { launchChromium, screenshotPath, skipWithoutChromium } from './browser-helpers.ts';
import { ADMIN_TOKEN, FakeDashboardSource, READ_TOKEN, TEST_TOKENS, verdictFixture } from './fake-dashboard-source.ts';

const skip = skipWithoutChromium();

describe('dashboard in chromium', { skip }, () => {
  let browser: Browser;
  let server: WebServer;
  let source: FakeDashboardSource;
  const problems: string[] = [];
  afterEach(() => assert.deepEqual(problems.splice(0), [], 'the page logged no errors'));

  before(async () => {
    source = new FakeDashboardSource();
    source.pushVerdict(7, 'winxp-sp1', { ruleId: 3 });
    server = await startWebServer(source, { port: 0, tokens: TEST_TOKENS });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function openDashboard(token: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(`${server.url}#token=${token}`);
    await page.locator('#stream-status[data-state="live"]').waitFor();
    return page;
  }

  test('a verdict pushed after the page loaded appears live, at the top', async () => {
    const page = await openDashboard(ADMIN_TOKEN);
    await page.locator('tr.verdict[data-flow-id="7"]').waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the token was taken out of the address bar');
    source.pushVerdict(12, 'linux-apache-cgi', { ruleId: 5 });
    const row = page.locator('tr.verdict[data-flow-id="12"][data-profile="linux-apache-cgi"]');
    await row.waitFor();
    assert.equal(await page.locator('#verdicts tbody tr').first().getAttribute('data-flow-id'), '12');
    assert.match(await row.innerText(), /compromised[\s\S]*192\.0\.2\.66:40012[\s\S]*198\.51\.100\.10:445[\s\S]*MS08-067/);
    await page.locator('#actions tr[data-rule-id="5"]').waitFor();
    await page.screenshot({ path: screenshotPath('live-verdict'), fullPage: true });
    await page.close();
  });

  test('opening a verdict shows the transcript (text and hex), trace, disassembly, attribution and evidence downloads', async () => {
    const page = await openDashboard(READ_TOKEN);
    await page.locator('tr.verdict[data-flow-id="7"]').click();
    const transcript = page.locator('#transcript');
    await transcript.locator('.turn').first().waitFor();
    assert.match(await transcript.innerText(), /client → server · 27 bytes[\s\S]*NT LM 0\.12/);
    assert.match(await transcript.innerText(), /server → client · 12 bytes/);
    await page.locator('.toggle button[data-view="hex"]').click();
    assert.match(await transcript.innerText(), /00000000 {2}00 00 00 85 ff 53 4d 42 {2}72 4e 54 20 4c 4d 20 30 {2}\|\.\.\.\.\.SMBrNT LM 0\|/);
    assert.match(await page.locator('#trace').innerText(), /connect\(0x100, 192\.0\.2\.66:4444\)/);
    assert.match(await page.locator('#disassembly').innerText(), /xor eax,eax/);
    const attribution = await page.locator('#attribution').innerText();
    for (const fact of ['192.0.2.66', '02:00:5e:10:00:42', 'access-sw1', 'Gi1/0/7']) assert.ok(attribution.includes(fact), `attribution shows ${fact}`);
    assert.match(await page.locator('#evidence').innerText(), /connect 192\.0\.2\.66:4444/);
    assert.match(await page.locator('#response').innerText(), /took no action/);
    await page.screenshot({ path: screenshotPath('verdict-detail'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#evidence-files button[data-file="session.pcap"]').click()]);
    assert.equal(download.suggestedFilename(), 'session.pcap');
    const expected = readFileSync(source.details.get('7/winxp-sp1')!.evidenceFiles[0]!.path);
    assert.deepEqual(readFileSync((await download.path())!), expected);
    await page.close();
  });

  test('approving an action applies it; a fresh page lists it applied with undo; undo rolls it back; a read-only token can do neither', async () => {
    source.pushVerdict(20, 'winxp-sp1', { ruleId: 9 });
    const reader = await openDashboard(READ_TOKEN);
    const readerRow = reader.locator('#actions tr[data-rule-id="9"]');
    await readerRow.waitFor();
    assert.equal(await readerRow.locator('button[data-act="approve"]').isDisabled(), true);
    assert.equal(await readerRow.locator('button[data-act="undo"]').count(), 0, 'a requested rule is approved or withdrawn, not undone');
    assert.match(await reader.locator('#actions-note').innerText(), /read-only/);
    await reader.close();

    const page = await openDashboard(ADMIN_TOKEN);
    const row = page.locator('#actions tr[data-rule-id="9"]');
    await row.waitFor();
    assert.equal(await row.getAttribute('data-state'), 'requested');
    await row.locator('button[data-act="approve"]').click();
    await page.locator('#actions tr[data-rule-id="9"][data-state="applied"]').waitFor();
    assert.equal(source.rules.get(9)!.state, 'applied');
    assert.equal(source.rules.get(9)!.approvedBy, 'web:admin');
    assert.match(await page.locator('#actions-note').innerText(), /#9 is now applied/);
    await page.screenshot({ path: screenshotPath('action-approved'), fullPage: true });
    await page.close();

    // a page opened later (another operator, a reload) gets the applied action from the API, with undo
    const later = await openDashboard(ADMIN_TOKEN);
    const applied = later.locator('#actions tr[data-rule-id="9"][data-state="applied"]');
    await applied.waitFor();
    assert.equal(await applied.locator('button[data-act="approve"]').count(), 0, 'an applied rule has nothing to approve');
    assert.equal(await applied.locator('button[data-act="undo"]').isEnabled(), true);
    assert.match(await applied.innerText(), /applied[\s\S]*access-sw1 Gi1\/0\/7[\s\S]*Undo/);
    await later.screenshot({ path: screenshotPath('action-applied-undo'), fullPage: true });
    await applied.locator('button[data-act="undo"]').click();
    await later.locator('#actions tr[data-rule-id="9"][data-state="rolled_back"]').waitFor();
    assert.equal(source.rules.get(9)!.state, 'rolled_back');
    assert.match(await later.locator('#actions-note').innerText(), /#9 is now rolled_back/);
    assert.equal(await later.locator('#actions tr[data-rule-id="9"] button').count(), 0, 'an ended rule has no buttons');
    await later.screenshot({ path: screenshotPath('action-undone'), fullPage: true });
    await later.close();

    const reader2 = await openDashboard(READ_TOKEN);
    await reader2.locator('#actions tbody tr').first().waitFor();
    assert.equal(await reader2.locator('#actions tr[data-rule-id="9"]').count(), 0, 'a rolled-back rule leaves the list');
    await reader2.close();
  });

  test('the farm table and the three charts are drawn', async () => {
    const page = await openDashboard(READ_TOKEN);
    const warm = page.locator('#farm tr[data-profile="winxp-sp1"] td[data-state="warm"]');
    await warm.waitFor();
    assert.equal(await warm.innerText(), '2');
    assert.equal(await page.locator('#farm tr[data-profile="winxp-sp1"] td[data-state="leased"]').innerText(), '1');
    assert.equal(await page.locator('#farm tr[data-profile="winxp-sp1"] td[data-state="dwelling"]').innerText(), '1');
    assert.deepEqual(await page.locator('#farm thead th').allInnerTexts(), ['profile', 'warm', 'leased', 'dwelling', 'reverting', 'creating', 'closing']);
    assert.match(await page.locator('#farm-summary').innerText(), /6 of 16 dummies · 2 leased \(1 dwelling\) · 0 waiting/);
    for (const chart of ['throughput', 'queue', 'drops']) {
      await page.locator(`#chart-${chart} polyline`).waitFor({ state: 'attached' });
      assert.equal(await page.locator(`#chart-${chart}`).getAttribute('data-points'), '30');
    }
    await page.locator('#charts-panel').screenshot({ path: screenshotPath('farm-and-charts') });
    await page.close();
  });

  test("a verdict whose session frames the live spool had rotated away says so in its detail", async () => {
    source.pushVerdict(40, 'winxp-sp1', { sessionNote: 'The capture spool no longer held this session: <b>its files</b> were deleted.' });
    const page = await openDashboard(READ_TOKEN);
    await page.locator('tr.verdict[data-flow-id="40"]').click();
    const note = page.locator('#session-note');
    await note.waitFor();
    assert.equal(await note.innerText(), 'The capture spool no longer held this session: <b>its files</b> were deleted.');
    await page.locator('tr.verdict[data-flow-id="7"]').click();
    await page.locator('#detail [data-flow-id="7"]').waitFor();
    assert.equal(await page.locator('#session-note').count(), 0, 'a whole session has no note');
    await page.close();
  });

  test('hostile text from traffic is shown as text, never run as HTML', async () => {
    const page = await openDashboard(READ_TOKEN);
    const hostile = { ...verdictFixture(31), vulnerability: '<img src=x onerror="window.pwned=1">' };
    source.emit(hostile);
    const row = page.locator('tr.verdict[data-flow-id="31"]');
    await row.waitFor();
    assert.match(await row.innerText(), /<img src=x onerror="window\.pwned=1">/);
    assert.equal(await page.evaluate(() => (globalThis as { pwned?: number }).pwned), undefined);
    assert.equal(await page.locator('#verdicts img').count(), 0);
    await page.close();
  });

  test('a wrong token lands on the sign-in form with the reason', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}#token=definitely-not-a-valid-token`);
    await page.locator('#sign-in:not([hidden])').waitFor();
    assert.match(await page.locator('#sign-in-error').innerText(), /not one this server knows/);
    await page.locator('#token-input').fill(READ_TOKEN);
    await page.locator('#sign-in-form button[type="submit"]').click();
    await page.locator('#stream-status[data-state="live"]').waitFor();
    assert.equal(await page.locator('#identity').innerText(), 'web:read (read)');
    await page.close();
  });
});
