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
  CT_ERR_OUTPUT: 'An event output (JSON lines file, syslog, webhook) could not be opened or reached.',
  CT_ERR_RULE_NOT_FOUND: 'No response rule has the given id.',
  CT_ERR_SIGNATURES_INVALID: 'A learned-signature file is damaged: the message names the line and the field.',
  CT_ERR_PROFILE_UNKNOWN: 'No dummy profile in the catalogue has the given id (crashtest profiles lists them).',
  CT_ERR_POOL_EXHAUSTED: 'The dummy pool had no dummy to lease: its limit was reached and the overflow policy refused (reject, too many waiters, or the wait timed out).',
  CT_ERR_POOL_CLOSED: 'A lease was still waiting for a dummy when the pool was closed or destroyed.',
  CT_ERR_VICTIM_DIED: 'A dummy stopped on its own (crashed VM, killed namespace) and cannot be used; a lease that had it fails with this code and the pool replaces it.',
  CT_ERR_VICTIM_CREATE: 'A victim driver could not create a dummy (a VM did not start, a namespace could not be set up).',
  CT_ERR_VICTIM_REVERT: 'A dummy could not be reverted to its clean state; the pool destroys and replaces it.',
  CT_ERR_NETNS_UNAVAILABLE: 'The netns driver cannot run here: it needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and the ip (iproute2), nft (nftables), tcpdump and unshare commands, and overlayfs.',
  CT_ERR_NETNS_SETUP: 'A command that builds or tears down a dummy\'s namespaces, links, firewall rules or root filesystem failed (ip, nft, mount, tcpdump); the message names the command and what it printed.',
  CT_ERR_QMP_PROTOCOL: 'A QEMU monitor (QMP) socket did not speak QMP: no greeting, a line that is not JSON, or an answer to no command.',
  CT_ERR_QMP_COMMAND: 'QEMU answered a QMP command with an error; the message carries its class and description.',
  CT_ERR_QMP_CLOSED: 'The QEMU monitor (QMP) connection closed, or QEMU exited, while a command was waiting for its answer.',
  CT_ERR_QEMU_UNAVAILABLE: 'QEMU cannot run dummies here: qemu-system-x86_64 is missing, or the guest kernel, initrd or disk image a profile names does not exist.',
  CT_ERR_BUNDLE_INVALID: 'A replay bundle could not be read, is not JSON, or does not match schemas/bundle.schema.json; the message names the field.',
  CT_ERR_EVIDENCE_WRITE: 'An evidence folder (session and egress pcaps, trace, verdict, replay bundle) could not be written.',
  CT_ERR_VERDICT_NOT_FOUND: 'No verdict has the given flow id and profile (or it is older than the events the dashboard keeps).',
  CT_ERR_API_UNAUTHORIZED: 'An HTTP API request had no bearer token, or one the server does not know (HTTP 401).',
  CT_ERR_API_FORBIDDEN: 'An HTTP API request changes state (approve, undo) but its token is read-only (HTTP 403).',
  CT_ERR_API_NOT_FOUND: 'No HTTP API route, or no evidence file of the verdict, matches the request path (HTTP 404).',
  CT_ERR_API_INTERNAL: 'The HTTP API failed in a way it did not expect; the server log has the stack (HTTP 500).',
  CT_ERR_WEB_LISTEN: 'The web server could not listen on its address and port (in use, not permitted, or no such address).',
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
