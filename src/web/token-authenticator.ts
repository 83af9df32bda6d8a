import { createHash, timingSafeEqual } from 'node:crypto';
import { CrashtestError } from '../core/index.ts';
import type { WebRole, WebToken } from './web-options.ts';

/** Who a request is, once its bearer token checked out. */
export interface WebIdentity {
  name: string;
  role: WebRole;
}

/** What a route needs: nothing (the page), a read token, or an admin token. */
export type RouteAccess = 'public' | 'read' | 'admin';

/**
 * Checks `Authorization: Bearer …` against the configured tokens. Tokens are compared as SHA-256
 * digests with timingSafeEqual, so neither a token's length nor its prefix leaks through timing.
 */
export class TokenAuthenticator {
  private readonly entries: { digest: Buffer; identity: WebIdentity }[];

  constructor(tokens: readonly WebToken[]) {
    this.entries = tokens.map((entry) => ({ digest: digest(entry.token), identity: { name: entry.name, role: entry.role } }));
  }

  /** The identity behind the header; throws CT_ERR_API_UNAUTHORIZED (401) or CT_ERR_API_FORBIDDEN (403). */
  authorize(header: string | undefined, access: Exclude<RouteAccess, 'public'>): WebIdentity {
    const identity = this.identify(header);
    if (access === 'admin' && identity.role !== 'admin') {
      throw new CrashtestError('CT_ERR_API_FORBIDDEN', `token '${identity.name}' is read-only; this request changes state and needs an admin token`, {
        role: identity.role,
      });
    }
    return identity;
  }

  private identify(header: string | undefined): WebIdentity {
    if (header === undefined || header === '') {
      throw new CrashtestError('CT_ERR_API_UNAUTHORIZED', 'expected an Authorization: Bearer <token> header, found none');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) {
      throw new CrashtestError('CT_ERR_API_UNAUTHORIZED', `expected an Authorization header of the form 'Bearer <token>', found scheme '${header.split(/\s/)[0]}'`);
    }
    const offered = digest(match[1]!);
    let found: WebIdentity | null = null;
    // every entry is compared, so the time taken does not say which one matched
    for (const entry of this.entries) if (timingSafeEqual(entry.digest, offered)) found = entry.identity;
    if (found === null) throw new CrashtestError('CT_ERR_API_UNAUTHORIZED', 'the bearer token is not one this server knows');
    return found;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
