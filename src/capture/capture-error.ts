import { CrashtestError, type ErrorCode } from '../core/index.ts';

/**
 * The one shape of every capture-file error: the message names the source and the byte offset of
 * the record at fault, and `details` carries both so callers need not parse the message.
 */
export function captureError(code: ErrorCode, source: string, offset: number, problem: string): CrashtestError {
  const where = offset >= 0 ? ` at byte ${offset}` : '';
  return new CrashtestError(code, `${source}${where}: ${problem}`, { file: source, offset });
}
