import { ERROR_CODES, isCrashtestError, type ErrorCode } from '../core/index.ts';

/** The JSON body of every API error: our code, a message that says what was expected and found, and the details. */
export interface ApiErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  CT_ERR_INVALID_ARGUMENT: 400,
  CT_ERR_API_UNAUTHORIZED: 401,
  CT_ERR_API_FORBIDDEN: 403,
  CT_ERR_API_NOT_FOUND: 404,
  CT_ERR_VERDICT_NOT_FOUND: 404,
  CT_ERR_RULE_NOT_FOUND: 404,
  CT_ERR_INVALID_STATE: 409,
  CT_ERR_ENFORCEMENT: 502,
  CT_ERR_SNMP: 502,
};

/**
 * Turns whatever a handler threw into a status and a body. Our own errors keep their code; fastify's
 * client errors (validation, bad JSON, body too large) become CT_ERR_INVALID_ARGUMENT with fastify's
 * status; anything else is a bug, reported as CT_ERR_API_INTERNAL without its message (the log has it).
 */
export function apiErrorBody(error: unknown): ApiErrorBody {
  if (isCrashtestError(error)) {
    const statusCode = STATUS_BY_CODE[error.code] ?? 500;
    const body: ApiErrorBody = { statusCode, code: error.code, message: error.message };
    if (Object.keys(error.details).length > 0) body.details = { ...error.details };
    return body;
  }
  const statusCode = clientStatus(error);
  if (statusCode !== null) {
    const message = error instanceof Error ? error.message : String(error);
    return { statusCode, code: 'CT_ERR_INVALID_ARGUMENT', message };
  }
  return { statusCode: 500, code: 'CT_ERR_API_INTERNAL', message: ERROR_CODES.CT_ERR_API_INTERNAL };
}

function clientStatus(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) return statusCode;
  return null;
}
