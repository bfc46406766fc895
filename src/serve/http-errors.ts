// Every error the server sends is JSON { statusCode, error, field?, message }, with the field at fault named.
import type { FastifyError } from 'fastify';

export interface ApiError {
  statusCode: number;
  error: string;
  field?: string;
  message: string;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function apiError(statusCode: number, message: string, field?: string): ApiError {
  return { statusCode, error: STATUS_TEXT[statusCode] ?? 'Error', ...(field ? { field } : {}), message };
}

/** Thrown by handlers for a request that passed the schema but is still wrong (an unknown language). */
export class RequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** An ajv error as a field and a sentence that names it. Pure. */
export function describeValidation(e: AjvError, where = 'body'): { field: string; message: string } {
  const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (e.keyword === 'required') {
    const field = [path, String(e.params['missingProperty'])].filter(Boolean).join('.');
    return { field, message: `${field} is required` };
  }
  if (e.keyword === 'additionalProperties') {
    const field = [path, String(e.params['additionalProperty'])].filter(Boolean).join('.');
    return { field, message: `${field} is not a field of this request` };
  }
  const field = path || where;
  if (e.keyword === 'pattern' || (e.keyword === 'minLength' && e.params['limit'] === 1)) {
    return { field, message: `${field} must not be empty` };
  }
  if (e.keyword === 'enum') {
    const allowed = (e.params['allowedValues'] as unknown[]).join(', ');
    return { field, message: `${field} must be one of: ${allowed}` };
  }
  return { field, message: `${field} ${e.message ?? 'is not valid'}` };
}

/** The JSON error for anything a route or fastify threw. */
export function toApiError(error: FastifyError | RequestError | Error): ApiError {
  if (error instanceof RequestError) return apiError(error.statusCode, error.message, error.field);
  const fe = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (fe.validation && fe.validation.length > 0) {
    const { field, message } = describeValidation(fe.validation[0]!, fe.validationContext);
    return apiError(400, message, field);
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return apiError(413, fe.message, 'body');
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return apiError(415, `${fe.message}: send application/json`, 'content-type');
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return apiError(400, 'the body is empty: send a JSON object', 'body');
  const status = fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 600 ? fe.statusCode : 500;
  if (status === 400 && error instanceof SyntaxError)
    return apiError(400, `the body is not JSON: ${error.message}`, 'body');
  return apiError(
    status,
    status === 500 ? 'internal error' : fe.message,
    status === 400 ? 'body' : undefined,
  );
}
