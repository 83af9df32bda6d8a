/**
 * What a Heartbleed reader gets back from the emulated server's heap: bytes that look like the
 * inside of an Apache worker (freed request buffers, header fragments, heap pointers, zero runs)
 * so the attacker's tooling sees a success, and nothing real: no key, no password, no cookie that
 * was ever valid. Deterministic for a length and host, so evidence replays the same.
 */
const HEAP_FRAGMENTS = [
  'GET / HTTP/1.1\r\nHost: {hostname}\r\nUser-Agent: Mozilla/5.0 (Windows NT 6.1; rv:27.0) Gecko/20100101 Firefox/27.0\r\n',
  'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n',
  'Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n',
  'HTTP/1.1 200 OK\r\nServer: Apache\r\nContent-Type: text/html; charset=UTF-8\r\n',
  '/var/www/html/index.html\0',
  'mod_ssl.c\0ssl_engine_io.c\0',
];

export function plausibleProcessMemory(length: number, hostname: string): Uint8Array {
  const memory = new Uint8Array(Math.max(0, length));
  let state = (length * 2_654_435_761) >>> 0;
  const next = (): number => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return state;
  };
  const encoder = new TextEncoder();
  let offset = 0;
  while (offset < memory.length) {
    const choice = next() % 4;
    if (choice === 0) {
      const text = HEAP_FRAGMENTS[next() % HEAP_FRAGMENTS.length]!.replace('{hostname}', hostname.toLowerCase());
      const bytes = encoder.encode(text).subarray(0, memory.length - offset);
      memory.set(bytes, offset);
      offset += bytes.length;
    } else if (choice === 1) {
      // a run of heap pointers into a 32-bit process's brk heap, 8-byte aligned
      for (let index = 0; index < 4 && offset + 4 <= memory.length; index += 1, offset += 4) {
        const pointer = (0x09a00000 + ((next() % 0x80000) << 3)) >>> 0;
        memory[offset] = pointer & 0xff;
        memory[offset + 1] = (pointer >> 8) & 0xff;
        memory[offset + 2] = (pointer >> 16) & 0xff;
        memory[offset + 3] = pointer >>> 24;
      }
      if (offset < memory.length && memory.length - offset < 4) offset = memory.length;
    } else {
      // freed chunks are mostly zeros with small size fields
      const run = Math.min(16 + (next() % 240), memory.length - offset);
      if (run > 4) memory[offset] = (run | 1) & 0xff;
      offset += run;
    }
  }
  return memory;
}
