import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePercent, payloadViews } from '../../../src/emulator/finder/payload-decodings.ts';
import { findShellcode, type FindingReason } from '../../../src/emulator/finder/shellcode-finder.ts';
import { WINDOWS_X64_CONNECT, WINDOWS_X86_CONNECT } from '../windows/handwritten-shellcode.ts';

/** Deterministic bytes (a linear congruential generator), so the measured rate is repeatable. */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = state >>> 16;
  }
  return out;
}

function embed(code: number[] | Uint8Array, at = 200, total = 600, seed = 7): Uint8Array {
  const bytes = new TextEncoder().encode('POST /cgi-bin/x HTTP/1.0\r\nHost: example\r\n\r\n'.padEnd(total, 'x'));
  bytes.set(code, at);
  // random filler after the code so the code is not followed by text
  bytes.set(randomBytes(Math.max(0, total - at - code.length), seed).subarray(0, total - at - code.length), at + code.length);
  return bytes;
}

function best(bytes: Uint8Array) {
  const found = findShellcode(bytes);
  assert.ok(found.length > 0, 'a candidate');
  return found[0]!;
}

function hasReason(bytes: Uint8Array, reason: FindingReason, offset: number): void {
  const found = findShellcode(bytes);
  const match = found.find((candidate) => candidate.reasons.includes(reason) && candidate.offset === offset);
  assert.ok(match, `${reason} at ${offset}; got ${JSON.stringify(found.map((c) => [c.offset, c.score, c.reasons]))}`);
}

// a small xor decoder body written for these tests: xor [esi+N], key; add esi, 4; loop
const DECODER_BODY = [0x81, 0x76, 0x0e, 0x11, 0x22, 0x33, 0x44, 0x83, 0xee, 0xfc, 0xe2, 0xf4];

describe('shellcode finder: GetPC', () => {
  it('call $+5 / pop, after the counter set-up an encoder puts before it', () => {
    const code = [0x31, 0xc9, 0x83, 0xe9, 0xb0, 0xe8, 0, 0, 0, 0, 0x5e, ...DECODER_BODY];
    hasReason(embed(code), 'getpc_call_pop', 200);
  });

  it('call $+4 into its own last byte (FF C0 inc eax), then pop', () => {
    hasReason(embed([0xe8, 0xff, 0xff, 0xff, 0xff, 0xc0, 0x5e, ...DECODER_BODY]), 'getpc_call_into_self', 200);
  });

  it('jmp / call back / pop: the entry is the jmp', () => {
    // 0: jmp +16 → 18: call -21 → 2: pop esi
    const code = [0xeb, 0x10, 0x5e, ...new Array(15).fill(0x90).map((_, i) => [0x31, 0xc0, 0x40, 0x46, 0x80, 0x36, 0x55, 0x46, 0xe2, 0xfa, 0x90, 0x90, 0x90, 0x90, 0x90][i]!), 0xe8, 0xeb, 0xff, 0xff, 0xff];
    hasReason(embed(code), 'getpc_jmp_call_pop', 200);
  });

  it('fnstenv [esp-0xc] after an x87 instruction, with the key load before it', () => {
    // mov edx, key; fldz; fnstenv [esp-0xc]; pop ebx; xor ecx,ecx; mov cl,0x20; xor [ebx+0x14],edx; add ebx,4; add edx,[ebx+0x10]; loop
    const code = [0xba, 0x11, 0x22, 0x33, 0x44, 0xd9, 0xee, 0xd9, 0x74, 0x24, 0xf4, 0x5b, 0x31, 0xc9, 0xb1, 0x20, 0x31, 0x53, 0x14, 0x83, 0xc3, 0x04, 0x03, 0x53, 0x10, 0xe2, 0xf5];
    const candidate = best(embed(code));
    assert.equal(candidate.offset, 200);
    assert.ok(candidate.reasons.includes('getpc_fnstenv'));
    assert.ok(candidate.reasons.includes('decoder_loop'));
    assert.equal(candidate.decoderLoopOffset, 216);
  });

  it('x64: the gs:[0x60] PEB access and call/pop of the hand-written x64 code', () => {
    const candidate = best(embed(WINDOWS_X64_CONNECT, 100, 800));
    assert.equal(candidate.hints.bits, 64);
    assert.equal(candidate.hints.os, 'windows');
    assert.ok(candidate.reasons.includes('peb_access_gs60'));
  });

  it('x64: lea reg, [rip+disp] supports a nearby entry', () => {
    const code = [0x48, 0x8d, 0x35, 0xf9, 0xff, 0xff, 0xff, 0x48, 0x31, 0xc9, 0x65, 0x48, 0x8b, 0x04, 0x25, 0x60, 0, 0, 0];
    hasReason(embed(code), 'getpc_rip_lea', 200);
  });
});

describe('shellcode finder: sleds, resolvers, decodings', () => {
  it('a NOP sled and its end', () => {
    const code = [...new Array(64).fill(0x90), ...WINDOWS_X86_CONNECT];
    const found = findShellcode(embed(code, 100, 800));
    assert.ok(found.some((candidate) => candidate.offset === 100 && candidate.reasons.includes('nop_sled')));
    assert.ok(found.some((candidate) => candidate.offset === 164));
  });

  it('an A..Z sled followed by code, but not a line of capitals in text', () => {
    hasReason(embed([...new TextEncoder().encode('A'.repeat(120)), 0xcc, ...WINDOWS_X86_CONNECT], 100, 800), 'alpha_sled', 100);
    const text = new TextEncoder().encode(`GET / HTTP/1.1\r\nX-Pad: ${'A'.repeat(300)}\r\nHost: a\r\n\r\n`);
    assert.deepEqual(findShellcode(text), []);
  });

  it('block_api prologue and the call that leads into it', () => {
    const candidate = best(embed(WINDOWS_X86_CONNECT));
    assert.equal(candidate.offset, 200, 'the cld before the call is the entry');
    assert.ok(candidate.reasons.includes('block_api_prologue'));
    assert.equal(candidate.hints.os, 'windows');
  });

  it('code behind %u escapes (IIS / HTML unicode) and %XX escapes is found in the decoded view', () => {
    const code = Uint8Array.from([...new Array(32).fill(0x90), ...WINDOWS_X86_CONNECT, 0x90]);
    let unicode = '';
    for (let i = 0; i + 1 < code.length; i += 2) unicode += `%u${((code[i + 1]! << 8) | code[i]!).toString(16).padStart(4, '0')}`;
    const request = new TextEncoder().encode(`GET /default.ida?${unicode} HTTP/1.0\r\n\r\n`);
    const found = findShellcode(request);
    assert.equal(found[0]?.encoding, 'unicode_url');
    assert.ok(found[0]!.reasons.includes('block_api_prologue'));
    const url = Array.from(code, (byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
    assert.equal(findShellcode(new TextEncoder().encode(`GET /a?q=${url} HTTP/1.0\r\n\r\n`))[0]?.encoding, 'url');
    assert.deepEqual(decodePercent(new TextEncoder().encode('%41%u4242')).bytes, Uint8Array.from([0x41, 0x42, 0x42]));
  });

  it('code inside base64 (an HTTP Basic authorization) is found in the decoded view', () => {
    const code = Uint8Array.from([...new Array(16).fill(0x90), ...WINDOWS_X86_CONNECT]);
    const request = new TextEncoder().encode(`GET / HTTP/1.1\r\nAuthorization: Basic ${Buffer.from(code).toString('base64')}\r\n\r\n`);
    const found = findShellcode(request);
    assert.equal(found[0]?.encoding, 'base64');
    assert.equal(found[0]?.sourceOffset, request.indexOf(0x42, 20) + 6); // the base64 text starts after "Basic "
    assert.equal(payloadViews(new TextEncoder().encode('plain text only')).length, 1);
  });
});

describe('shellcode finder: false positives', () => {
  it('finds nothing in 4 MiB of random bytes (rate < 1 per MiB)', () => {
    let candidates = 0;
    const blocks = 1024;
    for (let block = 0; block < blocks; block++) candidates += findShellcode(randomBytes(4096, block + 1)).length;
    const perMiB = candidates / ((blocks * 4096) / (1024 * 1024));
    assert.ok(perMiB < 1, `${perMiB} candidates per MiB of random bytes`);
  });

  it('finds nothing in HTTP requests, HTML and prose', () => {
    const samples = [
      'GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\nAccept: text/html,application/xhtml+xml\r\nCookie: session=YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo0NTY3ODkwYWJjZGVmZ2hpamts\r\n\r\n',
      '<html><head><title>Welcome</title></head><body><p>The quick brown fox jumps over the lazy dog. Which hath thirteen hooks?</p>' + '<div class="row">hello world</div>'.repeat(40) + '</body></html>',
      'POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nuser=admin%40example.com&pass=p%40ss%21word&next=%2Fhome%2Findex%3Fa%3Db',
      '-----BEGIN CERTIFICATE-----\n' + Buffer.from(randomBytes(900, 99)).toString('base64').replace(/(.{64})/g, '$1\n') + '\n-----END CERTIFICATE-----',
    ];
    for (const sample of samples) assert.deepEqual(findShellcode(new TextEncoder().encode(sample)), [], sample.slice(0, 40));
  });
});
