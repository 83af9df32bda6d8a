/**
 * Cookies a web server set in the capture and the dummy set differently: the client's later
 * `Cookie:` values are replaced by what the dummy handed out under the same name.
 */
import type { FieldAdapter } from './field-adapter.ts';

const decoder = new TextDecoder('latin1');

function setCookies(turn: Uint8Array): Map<string, string> {
  const cookies = new Map<string, string>();
  const head = decoder.decode(turn.subarray(0, Math.min(turn.length, 16_384)));
  for (const match of head.matchAll(/^set-cookie:\s*([^=;\s]+)=([^;\r\n]*)/gim)) cookies.set(match[1]!, match[2]!);
  return cookies;
}

export class HttpCookieAdapter implements FieldAdapter {
  readonly name = 'http-cookies';
  rewrites = 0;
  /** cookie name → [captured value, dummy value] */
  private readonly cookies = new Map<string, [string, string]>();

  learn(captured: Uint8Array, answered: Uint8Array): void {
    const was = setCookies(captured);
    const now = setCookies(answered);
    for (const [name, value] of was) {
      const dummyValue = now.get(name);
      if (dummyValue !== undefined && dummyValue !== value && this.cookies.size < 64) this.cookies.set(name, [value, dummyValue]);
    }
  }

  rewrite(clientTurn: Uint8Array): Uint8Array {
    if (this.cookies.size === 0) return clientTurn;
    const text = decoder.decode(clientTurn);
    let changed = false;
    const rewritten = text.replace(/^(cookie:[^\r\n]*)/gim, (line) => {
      let out = line;
      for (const [name, [was, now]] of this.cookies) {
        const next = out.split(`${name}=${was}`).join(`${name}=${now}`);
        if (next !== out) {
          changed = true;
          this.rewrites++;
          out = next;
        }
      }
      return out;
    });
    return changed ? Uint8Array.from(Buffer.from(rewritten, 'latin1')) : clientTurn;
  }
}
