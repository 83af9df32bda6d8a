/**
 * The pool's own errors. Callers branch on `code`: an exhausted pool is back-pressure (requeue the
 * job), a closed pool is shutdown, a died victim is evidence (the observations up to the death are
 * in `details.observations`).
 */
import { CrashtestError, type ErrorDetails } from '../../core/index.ts';

export type ExhaustedReason = 'reject' | 'max_waiters' | 'wait_timeout';

export class PoolExhaustedError extends CrashtestError {
  constructor(message: string, details: ErrorDetails & { reason: ExhaustedReason; key: string }) {
    super('CT_ERR_POOL_EXHAUSTED', message, details);
    this.name = 'PoolExhaustedError';
  }
}

export class PoolClosedError extends CrashtestError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CT_ERR_POOL_CLOSED', message, {}, options);
    this.name = 'PoolClosedError';
  }
}

export class VictimDiedError extends CrashtestError {
  constructor(message: string, details: ErrorDetails & { victimId: string; profileId: string; observations: readonly unknown[] }, options?: { cause?: unknown }) {
    super('CT_ERR_VICTIM_DIED', message, details, options);
    this.name = 'VictimDiedError';
  }
}
