/* global document, Node, sessionStorage, history, location, fetch, atob, URL, URLSearchParams, AbortController, TextDecoderStream, setTimeout, clearTimeout, setInterval, clearInterval */
/**
 * The crashtest dashboard: one dependency-free ES module, no build step. Everything it shows comes
 * from the API with the bearer token the user pasted (kept in sessionStorage, this tab only). All
 * text from traffic is hostile, so it is only ever put into the page as text nodes, never as HTML.
 */

const TOKEN_KEY = 'crashtest.token';
const MAX_VERDICT_ROWS = 500;
const POLL_MS = 5000;
const LEVEL_ORDER = ['compromised', 'exploited', 'attempted'];
const FARM_STATES = ['warm', 'leased', 'dwelling', 'reverting', 'creating', 'closing'];

const state = {
  token: null,
  identity: null,
  /** events already shown (the stream may repeat one around a reconnect) */
  seen: new Set(),
  selected: null,
  transcriptView: 'text',
  /** rule id → rule; rules acted on here stay listed after they leave the active list */
  actions: new Map(),
  streamController: null,
  pollTimer: null,
};

const $ = (selector) => document.querySelector(selector);

/** Builds an element; strings and numbers become text nodes, never HTML. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined).map((child) => (child instanceof Node ? child : String(child))));
  return node;
}

function svg(tag, attributes = {}) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

// ---- API ----------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? 'CT_ERR_API_INTERNAL';
  }
}

async function api(path, init = {}) {
  const response = await fetch(path, { ...init, headers: { authorization: `Bearer ${state.token}`, ...(init.headers ?? {}) } });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, body);
    if (response.status === 401) signOut('The server refused the token: ' + error.message);
    throw error;
  }
  return body;
}

// ---- sign in ------------------------------------------------------------------------------------

async function start() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.has('token')) {
    // a link may carry the token in the fragment (never sent to servers); take it and clean the URL
    sessionStorage.setItem(TOKEN_KEY, fragment.get('token'));
    history.replaceState(null, '', location.pathname + location.search);
  }
  $('#sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('#token-input').value.trim());
    signIn();
  });
  $('#sign-out').addEventListener('click', () => signOut(''));
  signIn();
}

async function signIn() {
  state.token = sessionStorage.getItem(TOKEN_KEY);
  if (!state.token) return showSignIn('');
  try {
    state.identity = await api('/api/whoami');
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) showSignIn(`Could not reach the server: ${error.message}`);
    return;
  }
  $('#sign-in').hidden = true;
  $('#dashboard').hidden = false;
  $('#sign-out').hidden = false;
  $('#identity').textContent = `${state.identity.name} (${state.identity.role})`;
  $('#actions-note').textContent = state.identity.role === 'admin' ? '' : 'This token is read-only: approve and undo need an admin token.';
  runStream();
  refreshAll();
  state.pollTimer = setInterval(() => {
    refreshFarm();
    refreshSeries();
  }, POLL_MS);
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.streamController?.abort();
  clearInterval(state.pollTimer);
  showSignIn(message);
}

function showSignIn(message) {
  $('#dashboard').hidden = true;
  $('#sign-out').hidden = true;
  $('#sign-in').hidden = false;
  $('#identity').textContent = '';
  $('#sign-in-error').textContent = message;
  setStreamStatus('offline');
}

function refreshAll() {
  refreshActions();
  refreshFarm();
  refreshSeries();
}

// ---- live events (Server-Sent Events read through fetch, so the token goes in a header) ----------

function setStreamStatus(value) {
  const badge = $('#stream-status');
  badge.dataset.state = value;
  badge.textContent = value;
}

async function runStream() {
  let backoffMs = 1000;
  while (state.token) {
    const controller = new AbortController();
    state.streamController = controller;
    try {
      const response = await fetch('/api/events/stream?recent=200', { headers: { authorization: `Bearer ${state.token}` }, signal: controller.signal });
      if (response.status === 401) return signOut('The server refused the token.');
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      setStreamStatus('live');
      backoffMs = 1000;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          handleStreamBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      if (controller.signal.aborted) return;
    }
    if (!state.token) return;
    setStreamStatus('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, backoffMs));
    backoffMs = Math.min(backoffMs * 2, 30000);
  }
}

function handleStreamBlock(block) {
  const data = block
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).replace(/^ /, ''))
    .join('\n');
  if (data === '') return;
  if (state.seen.has(data)) return;
  state.seen.add(data);
  if (state.seen.size > 10000) state.seen.delete(state.seen.values().next().value);
  onEvent(JSON.parse(data));
}

function onEvent(event) {
  switch (event.event_type) {
    case 'verdict':
    case 'host_compromise':
      addEventRow(event);
      break;
    case 'response':
      refreshActionsSoon();
      if (state.selected && state.selected.flowId === event.flow_id) showVerdictSoon();
      break;
    case 'stats':
      refreshSeriesSoon();
      break;
  }
}

/** Runs `work` once after a burst of calls (the stream replays many events at connect). */
function debounce(work, delayMs = 150) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(work, delayMs);
  };
}
const refreshActionsSoon = debounce(() => refreshActions());
const refreshSeriesSoon = debounce(() => refreshSeries());
const showVerdictSoon = debounce(() => state.selected && showVerdict(state.selected.flowId, state.selected.profile));

// ---- live verdicts ------------------------------------------------------------------------------

function addEventRow(event) {
  const body = $('#verdicts tbody');
  const row = event.event_type === 'verdict' ? verdictRow(event) : hostCompromiseRow(event);
  body.prepend(row);
  while (body.rows.length > MAX_VERDICT_ROWS) body.lastElementChild.remove();
  $('#verdict-count').textContent = `(${body.rows.length})`;
}

function verdictRow(event) {
  const row = el(
    'tr',
    { class: 'verdict fresh', 'data-flow-id': event.flow_id, 'data-profile': event.profile, 'data-level': event.level, title: event.timestamp },
    el('td', {}, clock(event.timestamp)),
    el('td', {}, levelBadge(event.level)),
    el('td', {}, `${event.src_ip}:${event.src_port}`),
    el('td', {}, `${event.dest_ip}:${event.dest_port} ${event.proto}`),
    el('td', {}, event.profile),
    el('td', {}, event.vulnerability ?? event.signature?.id ?? event.replay),
  );
  row.addEventListener('click', () => showVerdict(event.flow_id, event.profile));
  return row;
}

function hostCompromiseRow(event) {
  return el(
    'tr',
    { class: 'host-compromise fresh', title: event.timestamp },
    el('td', {}, clock(event.timestamp)),
    el('td', {}, el('span', { class: 'level level-compromised' }, 'host')),
    el('td', {}, event.attacker_ip ?? ''),
    el('td', {}, event.host_ip),
    el('td', {}, ''),
    el('td', {}, `${event.rule}: ${event.evidence.map(evidenceSummary).join('; ')}`),
  );
}

function levelBadge(level) {
  return el('span', { class: `level level-${LEVEL_ORDER.includes(level) ? level : 'other'}` }, level);
}

/** `2024-05-01T10:20:30.123456+0000` → `10:20:30` */
function clock(timestamp) {
  return String(timestamp).slice(11, 19);
}

// ---- verdict detail -----------------------------------------------------------------------------

async function showVerdict(flowId, profile) {
  state.selected = { flowId, profile };
  for (const row of document.querySelectorAll('tr.verdict')) {
    row.classList.toggle('selected', row.dataset.flowId === String(flowId) && row.dataset.profile === profile);
  }
  const target = $('#detail');
  try {
    const detail = await api(`/api/verdicts/${flowId}/${encodeURIComponent(profile)}`);
    if (state.selected?.flowId !== flowId || state.selected?.profile !== profile) return;
    target.replaceChildren(renderDetail(detail));
  } catch (error) {
    target.replaceChildren(el('p', { class: 'error' }, `${error.code ?? 'error'}: ${error.message}`));
  }
}

function renderDetail(detail) {
  const event = detail.event;
  return el(
    'div',
    { 'data-flow-id': detail.flowId, 'data-profile': detail.profile },
    el('h3', {}, levelBadge(event.level), ` flow ${detail.flowId} on ${detail.profile}`),
    definitions([
      ['time', event.timestamp],
      ['source', `${event.src_ip}:${event.src_port}`],
      ['target', `${event.dest_ip}:${event.dest_port} ${event.proto}`],
      ['vulnerability', event.vulnerability],
      ['decided by', event.signature ? `${event.replay} (signature ${event.signature.id})` : event.replay],
      ['profiles tried', event.profiles_tried?.join(', ')],
      ['senders', event.senders?.map((sender) => `${sender.ip}${sender.mac ? ` (${sender.mac})` : ''}`).join(', ')],
    ]),
    el('h3', {}, 'Attribution'),
    el(
      'div',
      { id: 'attribution' },
      definitions([
        ['host', detail.attribution.host],
        ['MAC', detail.attribution.mac ?? 'unknown (no link layer)'],
        ['switch', detail.attribution.switchName ?? 'unknown'],
        ['port', detail.attribution.port ?? 'unknown'],
        ['found by', detail.attribution.basis ?? '—'],
      ]),
    ),
    el('h3', {}, 'Response'),
    el('div', { id: 'response' }, renderResponse(detail.response)),
    el('h3', {}, 'Evidence'),
    el('ul', { id: 'evidence', class: 'plain' }, event.evidence.map((item) => el('li', { 'data-kind': item.kind }, evidenceSummary(item)))),
    el('h3', {}, 'Evidence files'),
    renderEvidenceFiles(detail.evidenceFiles),
    detail.sessionNote ? el('p', { id: 'session-note', class: 'warning' }, detail.sessionNote) : null,
    el('h3', {}, 'Transcript ', transcriptToggle(detail)),
    el('div', { id: 'transcript' }, renderTranscript(detail.transcript)),
    el('h3', {}, "Dummy's behaviour trace"),
    el('pre', { id: 'trace' }, detail.trace.length > 0 ? detail.trace.join('\n') : '(no calls recorded)'),
    el('h3', {}, 'Disassembly'),
    el('pre', { id: 'disassembly' }, detail.disassembly.length > 0 ? detail.disassembly.join('\n') : '(no code ran)'),
  );
}

function definitions(pairs) {
  return el(
    'dl',
    {},
    pairs.filter(([, value]) => value !== undefined && value !== null && value !== '').map(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]),
  );
}

function renderResponse(response) {
  if (!response) return el('p', { class: 'muted' }, 'The response stage took no action on this session.');
  return definitions([
    ['outcome', response.outcome],
    ['rule', response.rule_id !== undefined ? `#${response.rule_id} ${response.action ?? ''}` : undefined],
    ['state', response.state],
    ['port', response.target ? `${response.target.switch} ${response.target.port} (${response.target.basis})` : undefined],
    ['driver', `${response.driver}${response.dry_run ? ' (dry run)' : ''}`],
    ['refused by', response.refusal],
    ['expires', response.expires],
    ['detail', response.detail],
  ]);
}

function evidenceSummary(item) {
  if (item.summary) return item.summary;
  const { kind, ...rest } = item;
  return `${kind} ${JSON.stringify(rest)}`;
}

function renderEvidenceFiles(files) {
  if (files.length === 0) return el('p', { class: 'muted', id: 'evidence-files' }, 'No evidence folder was written for this verdict.');
  return el(
    'ul',
    { id: 'evidence-files', class: 'plain' },
    files.map((file) =>
      el('li', {}, el('button', { type: 'button', 'data-file': file.name, onclick: () => download(file.url, file.name) }, `⬇ ${file.name}`), ` ${formatBytes(file.size)}`),
    ),
  );
}

/** A plain link cannot carry the bearer header, so the file is fetched and handed over as a blob. */
async function download(url, name) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${state.token}` } });
  if (!response.ok) return;
  const href = URL.createObjectURL(await response.blob());
  const link = el('a', { href, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60000);
}

function transcriptToggle(detail) {
  const button = (view, label) =>
    el(
      'button',
      {
        type: 'button',
        'data-view': view,
        'aria-pressed': String(state.transcriptView === view),
        onclick: () => {
          state.transcriptView = view;
          for (const other of document.querySelectorAll('.toggle button')) other.setAttribute('aria-pressed', String(other.dataset.view === view));
          $('#transcript').replaceChildren(...[renderTranscript(detail.transcript)].flat());
        },
      },
      label,
    );
  return el('span', { class: 'toggle' }, button('text', 'text'), button('hex', 'hex'));
}

function renderTranscript(turns) {
  if (turns.length === 0) return el('p', { class: 'muted' }, 'No transcript kept.');
  return turns.map((turn, index) => {
    const bytes = decodeBase64(turn.bytes);
    const arrow = turn.direction === 'to_server' ? 'client → server' : 'server → client';
    const cut = turn.length > bytes.length ? `, first ${bytes.length} shown` : '';
    return el(
      'div',
      { class: `turn ${turn.direction}`, 'data-turn': index },
      el('div', { class: 'turn-head' }, `${arrow} · ${turn.length} bytes${cut} · ${new Date(turn.time * 1000).toISOString()}`),
      el('pre', {}, state.transcriptView === 'hex' ? hexDump(bytes) : printable(bytes)),
    );
  });
}

function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/** Printable ASCII as is, line breaks and tabs kept, every other byte as a middle dot. */
function printable(bytes) {
  let text = '';
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index];
    if (byte === 0x0d && bytes[index + 1] === 0x0a) continue;
    text += byte === 0x0a || byte === 0x09 || (byte >= 0x20 && byte < 0x7f) ? String.fromCharCode(byte) : '·';
  }
  return text;
}

function hexDump(bytes) {
  const lines = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = Array.from(row, (byte) => byte.toString(16).padStart(2, '0'));
    const left = hex.slice(0, 8).join(' ');
    const right = hex.slice(8).join(' ');
    const ascii = Array.from(row, (byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|`);
  }
  return lines.join('\n');
}

// ---- actions (requested: approve or withdraw; applied: undo) --------------------------------------

async function refreshActions() {
  try {
    const { actions } = await api('/api/actions');
    const active = new Set(actions.map((rule) => rule.id));
    for (const rule of actions) state.actions.set(rule.id, { ...rule, actedHere: state.actions.get(rule.id)?.actedHere ?? false });
    // a rule that ended elsewhere is dropped unless it was acted on in this page
    for (const [id, rule] of state.actions) if (!active.has(id) && !rule.actedHere) state.actions.delete(id);
    renderActions();
  } catch {
    // the stream status and the next refresh tell the user
  }
}

function renderActions() {
  const admin = state.identity?.role === 'admin';
  const rows = [...state.actions.values()]
    .sort((a, b) => b.id - a.id)
    .map((rule) =>
      el(
        'tr',
        { class: 'action', 'data-rule-id': rule.id, 'data-state': rule.state },
        el('td', {}, `#${rule.id}`),
        el('td', {}, el('span', { class: `state state-${rule.state}` }, rule.state)),
        el('td', {}, `${rule.target.switchName} ${rule.target.port}`),
        el('td', {}, `${rule.target.ip} ${rule.target.mac}`),
        el('td', {}, rule.reason.text, rule.detail ? el('div', { class: 'muted' }, rule.detail) : null),
        el('td', {}, actionButtons(rule, admin)),
      ),
    );
  $('#actions tbody').replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No action waits for approval or is in force.'))]));
}

/** The buttons a rule's state allows: a requested rule is approved (or withdrawn), an applied one undone. */
function actionButtons(rule, admin) {
  const button = (verb, label, primary = false) =>
    el('button', { type: 'button', class: primary ? 'primary' : undefined, 'data-act': verb, disabled: !admin, onclick: () => act(rule.id, verb === 'withdraw' ? 'undo' : verb) }, label);
  if (rule.state === 'requested') return [button('approve', 'Approve', true), ' ', button('withdraw', 'Withdraw')];
  if (rule.state === 'applied') return [button('undo', 'Undo', true), rule.expiresSeconds ? el('div', { class: 'muted' }, `expires ${new Date(rule.expiresSeconds * 1000).toISOString().slice(0, 19)}Z`) : null];
  return [];
}

async function act(ruleId, verb) {
  const note = $('#actions-note');
  try {
    const rule = await api(`/api/actions/${ruleId}/${verb}`, { method: 'POST' });
    state.actions.set(rule.id, { ...rule, actedHere: true });
    note.textContent = `Rule #${rule.id} is now ${rule.state}.`;
    note.className = 'muted';
  } catch (error) {
    note.textContent = `Rule #${ruleId}: ${error.code}: ${error.message}`;
    note.className = 'error';
  }
  renderActions();
}

// ---- dummy farm ---------------------------------------------------------------------------------

async function refreshFarm() {
  let farm;
  try {
    farm = await api('/api/farm');
  } catch {
    return;
  }
  const present = new Set(farm.profiles.flatMap((profile) => Object.keys(profile).filter((key) => typeof profile[key] === 'number')));
  const columns = [...FARM_STATES.filter((name) => present.has(name)), ...[...present].filter((name) => !FARM_STATES.includes(name)).sort()];
  $('#farm thead').replaceChildren(el('tr', {}, el('th', {}, 'profile'), columns.map((name) => el('th', {}, name))));
  $('#farm tbody').replaceChildren(
    ...farm.profiles.map((profile) =>
      el('tr', { 'data-profile': profile.profileId }, el('td', {}, profile.profileId), columns.map((name) => el('td', { 'data-state': name }, profile[name] ?? 0))),
    ),
  );
  const dwelling = farm.profiles.reduce((sum, profile) => sum + (profile.dwelling ?? 0), 0);
  $('#farm-summary').textContent = `${farm.total} of ${farm.maxVictims} dummies · ${farm.leasesActive} leased (${dwelling} dwelling) · ${farm.waiters} waiting`;
}

// ---- charts -------------------------------------------------------------------------------------

async function refreshSeries() {
  let points;
  try {
    ({ points } = await api('/api/series'));
  } catch {
    return;
  }
  $('#charts').replaceChildren(
    chart('throughput', 'throughput', points, (point) => point.bytesPerSecond, (value) => `${formatBytes(value)}/s`),
    chart('queue', 'analysis queue depth', points, (point) => point.queueDepth, String),
    chart('drops', 'drops per interval', points, (point) => point.drops, String),
    ...(points.some((point) => point.hostBacklogDrops !== undefined) ? [chart('backlog', 'host backlog drops per interval (all interfaces)', points, (point) => point.hostBacklogDrops ?? 0, String)] : []),
  );
}

function chart(id, title, points, valueOf, format) {
  const width = 600;
  const height = 90;
  const values = points.map(valueOf);
  const max = Math.max(1, ...values);
  const latest = values.length > 0 ? format(values[values.length - 1]) : '—';
  const head = el('div', { class: 'chart-head' }, el('span', {}, title), el('span', {}, `now ${latest} · max ${format(Math.max(0, ...values))}`));
  const picture = svg('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': title });
  if (points.length >= 2) {
    const first = points[0].time;
    const span = Math.max(1, points[points.length - 1].time - first);
    const coordinates = points.map((point, index) => `${(((point.time - first) / span) * width).toFixed(1)},${(height - 4 - (values[index] / max) * (height - 8)).toFixed(1)}`);
    picture.append(svg('polyline', { points: coordinates.join(' ') }));
  } else if (points.length === 1) {
    picture.append(svg('circle', { cx: width / 2, cy: height - 4 - (values[0] / max) * (height - 8), r: 3 }));
  } else {
    const label = svg('text', { x: 8, y: height / 2, fill: 'currentColor', 'font-size': 12 });
    label.textContent = 'waiting for samples';
    picture.append(label);
  }
  const range = points.length >= 2 ? `${new Date(points[0].time * 1000).toISOString().slice(11, 19)} – ${new Date(points[points.length - 1].time * 1000).toISOString().slice(11, 19)} UTC` : '';
  return el('div', { class: `chart ${id}`, id: `chart-${id}`, 'data-points': points.length }, head, picture, el('div', { class: 'chart-head' }, el('span', {}, range)));
}

function formatBytes(value) {
  if (value < 1024) return `${Math.round(value)} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  if (value < 1024 * 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
  return `${(value / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

start();
