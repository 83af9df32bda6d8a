import snmp, { type Session, type SessionOptions, type User, type Varbind } from 'net-snmp';
import { CrashtestError } from '../../core/index.ts';

/** What an SNMP client needs to reach one switch (the `attribution.switches[]` config entry). */
export interface SnmpTarget {
  name: string;
  host: string;
  port: number;
  version: '2c' | '3';
  community: string;
  user: string;
  authProtocol: 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  authKey: string;
  privProtocol: 'des' | 'aes' | 'aes256b' | 'aes256r';
  privKey: string;
  context: string;
  timeoutMs: number;
  retries: number;
}

export interface SnmpValue {
  oid: string;
  /** numbers for INTEGER/Counter/Gauge, Buffer for OCTET STRING, null for noSuchObject/noSuchInstance/endOfMibView */
  value: number | Buffer | string | null;
}

/**
 * A promise-shaped net-snmp session for one switch: get, walk and integer set, with errors turned
 * into CT_ERR_SNMP naming the switch and the OID. v2c uses a community; v3 always asks for authPriv.
 */
export class SnmpClient {
  private readonly session: Session;
  private isClosed = false;

  constructor(readonly target: SnmpTarget) {
    const options: SessionOptions = { port: target.port, timeout: target.timeoutMs, retries: target.retries, backoff: 1 };
    try {
      if (target.version === '2c') {
        this.session = snmp.createSession(target.host, target.community, { ...options, version: snmp.Version2c });
      } else {
        const user: User = {
          name: target.user,
          level: snmp.SecurityLevel.authPriv!,
          authProtocol: snmp.AuthProtocols[target.authProtocol],
          authKey: target.authKey,
          privProtocol: snmp.PrivProtocols[target.privProtocol],
          privKey: target.privKey,
        };
        this.session = snmp.createV3Session(target.host, user, { ...options, context: target.context });
      }
    } catch (error) {
      throw this.fail('open session', '', error);
    }
    // net-snmp re-emits socket errors; without a listener an EventEmitter 'error' would crash the process.
    this.session.on('error', () => undefined);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  async get(oids: string[], signal?: AbortSignal): Promise<SnmpValue[]> {
    this.assertOpen();
    return this.abortable(signal, `get ${oids.join(',')}`, (resolve, reject) =>
      this.session.get(oids, (error, varbinds) => {
        if (error) reject(this.fail('get', oids.join(','), error));
        else resolve(varbinds.map(toValue));
      }),
    );
  }

  /** Every object below `oid`, in order (GETBULK for v2c/v3). */
  async walk(oid: string, signal?: AbortSignal): Promise<SnmpValue[]> {
    this.assertOpen();
    const found: SnmpValue[] = [];
    return this.abortable(signal, `walk ${oid}`, (resolve, reject) =>
      this.session.subtree(
        oid,
        50,
        (varbinds) => {
          for (const varbind of varbinds) if (!snmp.isVarbindError(varbind)) found.push(toValue(varbind));
          return signal?.aborted === true;
        },
        (error) => (error ? reject(this.fail('walk', oid, error)) : resolve(found)),
      ),
    );
  }

  async setInteger(oid: string, value: number, signal?: AbortSignal): Promise<void> {
    this.assertOpen();
    await this.abortable<void>(signal, `set ${oid}`, (resolve, reject) =>
      this.session.set([{ oid, type: snmp.ObjectType.Integer!, value }], (error, varbinds) => {
        if (error) reject(this.fail('set', oid, error));
        else if (varbinds.some((varbind) => snmp.isVarbindError(varbind))) reject(this.fail('set', oid, new Error(snmp.varbindError(varbinds[0]!))));
        else resolve();
      }),
    );
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.session.close();
  }

  private abortable<T>(signal: AbortSignal | undefined, what: string, start: (resolve: (value: T) => void, reject: (error: unknown) => void) => void): Promise<T> {
    if (signal?.aborted) return Promise.reject(this.fail(what, '', new Error('aborted')));
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(this.fail(what, '', new Error('aborted')));
      signal?.addEventListener('abort', onAbort, { once: true });
      start(
        (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  private fail(operation: string, oid: string, cause: unknown): CrashtestError {
    const { name, host, port, version } = this.target;
    const message = (cause as Error)?.message ?? String(cause);
    return new CrashtestError('CT_ERR_SNMP', `SNMP v${version} ${operation} ${oid} on switch ${name} (${host}:${port}) failed: ${message}`, {
      switch: name,
      oid,
      operation,
    }, { cause });
  }

  private assertOpen(): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `SNMP client for ${this.target.name} used after close()`);
  }
}

function toValue(varbind: Varbind): SnmpValue {
  if (snmp.isVarbindError(varbind)) return { oid: varbind.oid, value: null };
  const value = varbind.value;
  if (typeof value === 'number' || typeof value === 'string' || Buffer.isBuffer(value)) return { oid: varbind.oid, value };
  if (typeof value === 'bigint') return { oid: varbind.oid, value: Number(value) };
  return { oid: varbind.oid, value: value == null ? null : String(value) };
}

/** The index part of an OID below a column: `1.3.6.1.2.1.2.2.1.7.3` below `1.3.6.1.2.1.2.2.1.7` is [3]. */
export function oidIndex(oid: string, column: string): number[] {
  return oid.slice(column.length + 1).split('.').map(Number);
}
