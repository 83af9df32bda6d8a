/**
 * Every error crashtest raises on purpose carries a stable code from this registry.
 * Callers branch on `err.code`; `docs/errors.md` lists the same codes (kept equal by a test).
 */
export const ERROR_CODES = {
  CT_ERR_INVALID_ARGUMENT: 'A function or command was called with an argument it cannot use.',
  CT_ERR_INVALID_STATE: 'An object was used after it was closed, or before it was ready.',
  CT_ERR_CONFIG_INVALID: 'The configuration failed validation; the message names the key path.',
  CT_ERR_CONFIG_READ: 'The configuration file could not be read or parsed.',
  CT_ERR_CAPTURE_OPEN: 'A capture file or interface could not be opened.',
  CT_ERR_CAPTURE_FORMAT: 'A capture file is not pcap or pcapng, or its header is corrupt.',
  CT_ERR_CAPTURE_TRUNCATED: 'A capture file ends in the middle of a record; everything before it was read.',
  CT_ERR_CAPTURE_CORRUPT: 'A capture file holds a record that cannot be valid (bad length, bad block type).',
  CT_ERR_CAPTURE_LINKTYPE: 'A capture uses a link type crashtest does not decode.',
  CT_ERR_CAPTURE_LIVE: 'Live capture failed: the capture process could not start or died.',
  CT_ERR_CAPTURE_WRITE: 'A capture file could not be written.',
  CT_ERR_EXPORT_WRITE: 'Reassembled streams could not be written to the export directory.',
  CT_ERR_JOURNAL_OPEN: 'The attribution journal or response store (SQLite) could not be opened or migrated.',
  CT_ERR_SNMP: 'An SNMP request to a switch failed: timeout, authentication, or an error status in the response.',
  CT_ERR_ENFORCEMENT: 'An enforcement driver could not apply or remove a rule (switch, webhook or command failed).',
  CT_ERR_RULE_NOT_FOUND: 'No response rule has the given id.',
  CT_ERR_SIGNATURES_INVALID: 'A learned-signature file is damaged: the message names the line and the field.',
  CT_ERR_PROFILE_UNKNOWN: 'No dummy profile in the catalogue has the given id (crashtest profiles lists them).',
  CT_ERR_POOL_EXHAUSTED: 'The dummy pool had no dummy to lease: its limit was reached and the overflow policy refused (reject, too many waiters, or the wait timed out).',
  CT_ERR_POOL_CLOSED: 'A lease was still waiting for a dummy when the pool was closed or destroyed.',
  CT_ERR_VICTIM_DIED: 'A dummy stopped on its own (crashed VM, killed namespace) and cannot be used; a lease that had it fails with this code and the pool replaces it.',
  CT_ERR_VICTIM_CREATE: 'A victim driver could not create a dummy (a VM did not start, a namespace could not be set up).',
  CT_ERR_VICTIM_REVERT: 'A dummy could not be reverted to its clean state; the pool destroys and replaces it.',
  CT_ERR_BUNDLE_INVALID: 'A replay bundle could not be read, is not JSON, or does not match schemas/bundle.schema.json; the message names the field.',
  CT_ERR_EVIDENCE_WRITE: 'An evidence folder (session and egress pcaps, trace, verdict, replay bundle) could not be written.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetails {
  /** file the error is about, when there is one */
  file?: string;
  /** byte offset in that file */
  offset?: number;
  /** config key path, dotted */
  key?: string;
  [extra: string]: unknown;
}

export class CrashtestError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CrashtestError';
    this.code = code;
    this.details = details;
  }
}

export function isCrashtestError(value: unknown, code?: ErrorCode): value is CrashtestError {
  return value instanceof CrashtestError && (code === undefined || value.code === code);
}
