/**
 * What one fetched response delivers to a browser: its scripts and the strings they decode to,
 * heap-spray loops, the plugin content it embeds or is (Flash, Java, Silverlight, PDF, ActiveX),
 * and executables. Static: scripts are read, never run (see script-strings.ts). Bounded: scripts
 * per page, PDF streams, nesting of document.write'd HTML.
 */
import { inflateSync } from 'node:zlib';
import { decodeScriptStrings, looksLikeHeapSpray, stringBytes, type DecodedString } from './script-strings.ts';

export type PluginKind = 'flash' | 'java' | 'silverlight' | 'pdf' | 'activex';

export interface EmbeddedObject {
  plugin: PluginKind;
  /** class id, MIME type, file name or ProgID that named it */
  detail: string;
}

export interface PageFindings {
  kind: 'html' | 'script' | 'pdf' | 'flash' | 'java' | 'silverlight' | 'executable' | 'other';
  scripts: number;
  decoded: DecodedString[];
  /** decoded strings that may be code: long, or holding `%u` characters */
  binaries: Buffer[];
  heapSpray: boolean;
  objects: EmbeddedObject[];
  /** script text and decoded strings, for naming the vulnerability (capped) */
  text: string;
}

const MAX_SCRIPTS = 64;
const MAX_DEPTH = 3;
const MAX_TEXT = 2 * 1024 * 1024;
const MAX_PDF_STREAMS = 32;
const MIN_BINARY_BYTES = 32;

export function isExecutable(body: Uint8Array): boolean {
  if (body.length < 0x40 || body[0] !== 0x4d || body[1] !== 0x5a) return false;
  const peOffset = Buffer.from(body.buffer, body.byteOffset, body.byteLength).readUInt32LE(0x3c);
  return peOffset + 4 <= body.length && body[peOffset] === 0x50 && body[peOffset + 1] === 0x45 && body[peOffset + 2] === 0 && body[peOffset + 3] === 0;
}

function kindOf(body: Buffer, contentType: string): PageFindings['kind'] {
  const type = contentType.toLowerCase();
  const head = body.subarray(0, 8).toString('latin1');
  if (isExecutable(body)) return 'executable';
  if (head.startsWith('%PDF') || type.includes('pdf')) return 'pdf';
  if (/^[FCZ]WS/.test(head) || type.includes('shockwave')) return 'flash';
  if (head.startsWith('PK\u0003\u0004') && /java|jar/.test(type)) return 'java';
  if (type.includes('silverlight')) return 'silverlight';
  if (/javascript|ecmascript|jscript/.test(type)) return 'script';
  if (type.includes('html') || /^\s*</.test(body.subarray(0, 512).toString('latin1'))) return 'html';
  return 'other';
}

export function decodePage(body: Buffer, contentType: string): PageFindings {
  const kind = kindOf(body, contentType);
  const findings: PageFindings = { kind, scripts: 0, decoded: [], binaries: [], heapSpray: false, objects: [], text: '' };
  if (kind === 'flash' || kind === 'java' || kind === 'silverlight') findings.objects.push({ plugin: kind, detail: contentType || kind });
  if (kind === 'pdf') {
    findings.objects.push({ plugin: 'pdf', detail: contentType || 'pdf' });
    for (const script of pdfScripts(body)) readScript(script, findings, 0);
  } else if (kind === 'script') readScript(body.toString('latin1'), findings, 0);
  else if (kind === 'html') readHtml(body.toString('latin1'), findings, 0);
  return findings;
}

function readHtml(html: string, findings: PageFindings, depth: number): void {
  findings.objects.push(...embeddedObjects(html, findings));
  let offset = 0;
  const lower = html.toLowerCase();
  while (findings.scripts < MAX_SCRIPTS) {
    const open = lower.indexOf('<script', offset);
    if (open < 0) break;
    const bodyStart = lower.indexOf('>', open);
    if (bodyStart < 0) break;
    const close = lower.indexOf('</script', bodyStart);
    const end = close < 0 ? html.length : close;
    readScript(html.slice(bodyStart + 1, end), findings, depth);
    offset = end + 1;
  }
}

function readScript(script: string, findings: PageFindings, depth: number): void {
  if (findings.scripts >= MAX_SCRIPTS) return;
  findings.scripts++;
  appendText(findings, script);
  findings.objects.push(...scriptObjects(script));
  if (looksLikeHeapSpray(script)) findings.heapSpray = true;
  for (const decoded of decodeScriptStrings(script)) {
    findings.decoded.push(decoded);
    appendText(findings, decoded.text);
    const bytes = stringBytes(decoded.text);
    const wide = bytes.length !== decoded.text.length;
    if (wide || bytes.length >= MIN_BINARY_BYTES) findings.binaries.push(bytes);
    // decoded HTML or script (document.write, eval of a decoded string) is read in turn
    if (depth < MAX_DEPTH && !wide) {
      if (/<(script|object|applet|embed|iframe)\b/i.test(decoded.text)) readHtml(decoded.text, findings, depth + 1);
      else if (/\b(unescape|fromCharCode|eval)\s*\(/.test(decoded.text)) readScript(decoded.text, findings, depth + 1);
    }
  }
}

function appendText(findings: PageFindings, text: string): void {
  if (findings.text.length < MAX_TEXT) findings.text += `\n${text.slice(0, MAX_TEXT - findings.text.length)}`;
}

const CLASSID = /classid\s*=\s*["']?\s*clsid:([0-9a-f-]{36})/gi;
const TAG = /<(applet|embed|object)\b([^>]{0,2048})>/gi;

function embeddedObjects(html: string, findings: PageFindings): EmbeddedObject[] {
  const objects: EmbeddedObject[] = [];
  for (const match of html.matchAll(TAG)) {
    appendText(findings, match[0]); // a class id in a tag names the control as much as one in script
    const tag = match[1]!.toLowerCase();
    const attributes = match[2]!;
    const plugin = pluginOfAttributes(tag, attributes);
    if (plugin) objects.push(plugin);
    if (objects.length >= 64) break;
  }
  return objects;
}

function pluginOfAttributes(tag: string, attributes: string): EmbeddedObject | null {
  const value = (name: string): string => new RegExp(`\\b${name}\\s*=\\s*["']?([^"'\\s>]{1,512})`, 'i').exec(attributes)?.[1] ?? '';
  if (tag === 'applet' || /java/i.test(value('type')) || /\.jar\b/i.test(value('archive'))) return { plugin: 'java', detail: value('archive') || value('code') || 'applet' };
  const type = value('type');
  const source = value('src') || value('data') || value('movie');
  if (/shockwave|\.swf\b/i.test(`${type} ${source}`)) return { plugin: 'flash', detail: type || source };
  if (/silverlight|\.xap\b/i.test(`${type} ${source}`)) return { plugin: 'silverlight', detail: type || source };
  if (/pdf/i.test(`${type} ${source}`)) return { plugin: 'pdf', detail: type || source };
  const classid = /clsid:([0-9a-f-]{36})/i.exec(value('classid'))?.[1];
  if (classid) return { plugin: 'activex', detail: classid.toUpperCase() };
  return null;
}

function scriptObjects(script: string): EmbeddedObject[] {
  const objects: EmbeddedObject[] = [];
  for (const match of script.slice(0, MAX_TEXT).matchAll(/(?:new\s+ActiveXObject|CreateObject)\s*\(\s*["']([^"']{1,128})["']/gi)) {
    objects.push({ plugin: 'activex', detail: match[1]! });
    if (objects.length >= 32) break;
  }
  for (const match of script.slice(0, MAX_TEXT).matchAll(CLASSID)) {
    objects.push({ plugin: 'activex', detail: match[1]!.toUpperCase() });
    if (objects.length >= 64) break;
  }
  return objects;
}

/** JavaScript a PDF carries: `/JS (…)` strings and the text of its (Flate-decoded) streams. */
function pdfScripts(body: Buffer): string[] {
  const text = body.toString('latin1');
  const scripts: string[] = [];
  for (const match of text.matchAll(/\/JS\s*\(((?:\\.|[^\\)]){1,65536})\)/g)) scripts.push(match[1]!.replace(/\\(.)/g, '$1'));
  let offset = 0;
  for (let count = 0; count < MAX_PDF_STREAMS; count++) {
    const start = text.indexOf('stream', offset);
    if (start < 0) break;
    const dataStart = text[start + 6] === '\r' ? start + 8 : start + 7;
    const end = text.indexOf('endstream', dataStart);
    if (end < 0) break;
    const dictionary = text.slice(Math.max(0, start - 512), start);
    let data = body.subarray(dataStart, end);
    if (/FlateDecode/.test(dictionary.slice(dictionary.lastIndexOf('<<')))) {
      try {
        data = inflateSync(data, { maxOutputLength: 1024 * 1024, finishFlush: 2 });
      } catch {
        data = Buffer.alloc(0);
      }
    }
    const streamText = data.toString('latin1');
    if (/\b(function|var|unescape|eval)\b/.test(streamText)) scripts.push(streamText);
    offset = end + 9;
  }
  return scripts;
}
