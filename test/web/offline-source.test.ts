/**
 * The dashboard over the real OfflineDashboardSource: a corpus capture (Log4Shell in a User-Agent,
 * a reverse shell after) analysed with a config whose static port map puts the attacker's MAC on
 * sw1 Gi0/7, so the response stage asks to take that port down and waits for approval.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { VerdictEvent } from '../../src/alert/index.ts';
import { validateConfig } from '../../src/config/index.ts';
import { OfflineDashboardSource, type Rule, type VerdictDetail } from '../../src/daemon/index.ts';
import { startWebServer, type WebServer } from '../../src/web/index.ts';
import { corpusDir, skipWithoutCorpus } from '../helpers/corpus.ts';
import { launchChromium, screenshotPath, skipWithoutChromium } from './browser-helpers.ts';
import { ADMIN_TOKEN, READ_TOKEN, TEST_TOKENS } from './fake-dashboard-source.ts';

const CAPTURE = 'cve-2021-44228-log4shell-useragent-revshell.pcap';
const ATTACKER = { ip: '10.10.10.31', mac: '02:42:76:8f:34:16' };
const read = { authorization: `Bearer ${READ_TOKEN}` };
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** the detail as the API sends it: evidence files by name and URL */
type PublicDetail = Omit<VerdictDetail, 'evidenceFiles'> & { evidenceFiles: { name: string; size: number; url: string }[] };

describe('dashboard over OfflineDashboardSource and a corpus capture', { skip: skipWithoutCorpus() }, () => {
  let workDir = '';
  let source: OfflineDashboardSource;
  let server: WebServer;
  let verdict: VerdictEvent;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'crashtest-web-offline-'));
    const config = validateConfig({
      attribution: { journalPath: join(workDir, 'journal.sqlite'), staticPorts: [{ mac: ATTACKER.mac, switch: 'sw1', port: 'Gi0/7' }] },
      respond: { storePath: join(workDir, 'respond.sqlite') },
    });
    source = await OfflineDashboardSource.fromCaptures([join(corpusDir(), CAPTURE)], { config, evidenceDir: join(workDir, 'evidence') });
    server = await startWebServer(source, { port: 0, tokens: TEST_TOKENS });
  });
  after(async () => {
    await server?.close();
    await source?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function get<T>(path: string): Promise<T> {
    const response = await fetch(new URL(path, server.url), { headers: read });
    assert.equal(response.status, 200, `${path}: ${response.status}`);
    return (await response.json()) as T;
  }

  test('the compromised verdict is listed, and its detail has the JNDI request, evidence files and the sw1 port', async () => {
    const { events } = await get<{ events: VerdictEvent[] }>('/api/events?type=verdict');
    const found = events.find((event) => event.level === 'compromised' && event.src_ip === ATTACKER.ip);
    assert.ok(found, `a compromised verdict from ${ATTACKER.ip}: ${JSON.stringify(events.map((event) => [event.level, event.src_ip, event.profile]))}`);
    verdict = found;
    const detail = await get<PublicDetail>(`/api/verdicts/${verdict.flow_id}/${encodeURIComponent(verdict.profile)}`);
    const request = Buffer.from(detail.transcript[0]!.bytes, 'base64').toString('latin1');
    assert.match(request, /\$\{jndi:ldap:/);
    assert.ok(detail.evidenceFiles.length > 0, 'evidence files are offered');
    const file = detail.evidenceFiles[0]!;
    const download = await fetch(new URL(file.url, server.url), { headers: read });
    assert.equal(download.status, 200);
    assert.equal((await download.arrayBuffer()).byteLength, file.size);
    assert.equal(detail.attribution.host, ATTACKER.ip);
    assert.equal(detail.attribution.mac, ATTACKER.mac);
    assert.deepEqual([detail.attribution.switchName, detail.attribution.port], ['sw1', 'Gi0/7']);
  });

  test('the pending port shut-down is approved through the API and applied (dry run), stays listed, and is undone', async () => {
    const { actions } = await get<{ actions: Rule[] }>('/api/actions');
    const rule = actions.find((candidate) => candidate.target.ip === ATTACKER.ip);
    assert.ok(rule, `a pending rule against ${ATTACKER.ip}: ${JSON.stringify(actions)}`);
    assert.equal(rule.state, 'requested');
    const refused = await fetch(new URL(`/api/actions/${rule.id}/approve`, server.url), { method: 'POST', headers: read });
    assert.equal(refused.status, 403);
    const approved = await fetch(new URL(`/api/actions/${rule.id}/approve`, server.url), { method: 'POST', headers: admin });
    assert.equal(approved.status, 200);
    const body = (await approved.json()) as Rule;
    assert.equal(body.state, 'applied');
    assert.equal(body.approvedBy, 'web:admin');
    const listed = (await get<{ actions: Rule[] }>('/api/actions')).actions.find((candidate) => candidate.id === rule.id);
    assert.equal(listed?.state, 'applied', 'an applied action stays listed, to be undone');
    const undone = await fetch(new URL(`/api/actions/${rule.id}/undo`, server.url), { method: 'POST', headers: admin });
    assert.equal(undone.status, 200);
    assert.equal(((await undone.json()) as Rule).state, 'rolled_back');
    assert.equal((await get<{ actions: Rule[] }>('/api/actions')).actions.some((candidate) => candidate.id === rule.id), false, 'an ended action is not listed');
  });

  test('farm and metrics come from the run', async () => {
    const farm = await get<{ profiles: unknown }>('/api/farm');
    assert.ok(Array.isArray(farm.profiles));
    const metrics = await fetch(new URL('/metrics', server.url), { headers: read });
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^# TYPE /m);
  });

  test('in chromium: the verdict opens with its transcript; a republished verdict arrives live', { skip: skipWithoutChromium() }, async () => {
    assert.ok(verdict, 'the first test found the verdict');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${server.url}#token=${READ_TOKEN}`);
      await page.locator('#stream-status[data-state="live"]').waitFor();
      const row = page.locator(`tr.verdict[data-flow-id="${verdict.flow_id}"][data-profile="${verdict.profile}"]`);
      await row.waitFor();
      source.publish({ ...verdict, timestamp: verdict.timestamp.replace(/\.\d+/, '.999999') });
      await page.locator(`tr.verdict[data-flow-id="${verdict.flow_id}"]`).nth(1).waitFor();
      await row.first().click();
      await page.locator('#transcript .turn').first().waitFor();
      assert.match(await page.locator('#transcript').innerText(), /\$\{jndi:ldap:/);
      assert.match(await page.locator('#attribution').innerText(), /Gi0\/7/);
      await page.screenshot({ path: screenshotPath('offline-log4shell-verdict'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
