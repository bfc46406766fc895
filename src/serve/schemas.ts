// The HTTP API's request and response shapes as JSON Schema: fastify validates requests with them, and
// /openapi.json is made from the same objects, so the description cannot drift from what is checked.
import { DEFAULT_SEARCH_MODE } from '../search/fusion.js';
import { SEARCH_MODES } from './search-request.js';

export interface ServeLimits {
  /** Largest request body (bytes). */
  maxBodyBytes: number;
  /** Longest query (characters). */
  maxQueryChars: number;
  /** Largest k. */
  maxK: number;
  /** Most texts in one /embed call. */
  maxEmbedTexts: number;
  /** Longest text to /embed (characters). */
  maxTextChars: number;
}

export const DEFAULT_LIMITS: ServeLimits = {
  maxBodyBytes: 256 * 1024,
  maxQueryChars: 1000,
  maxK: 100,
  maxEmbedTexts: 64,
  maxTextChars: 20_000,
};

const hit = {
  type: 'object',
  required: ['path', 'startLine', 'endLine', 'name', 'language', 'score', 'code'],
  properties: {
    path: { type: 'string' },
    startLine: { type: 'integer' },
    endLine: { type: 'integer' },
    name: { type: 'string' },
    language: { type: 'string' },
    score: { type: 'number' },
    code: { type: 'string' },
  },
} as const;

export const errorSchema = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    /** The request field at fault (a body key, 'body', 'authorization'), when there is one. */
    field: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

export function searchBodySchema(limits: ServeLimits) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['query'],
    properties: {
      query: {
        type: 'string',
        minLength: 1,
        maxLength: limits.maxQueryChars,
        pattern: '\\S',
        description: 'What to find, in words or code',
      },
      k: { type: 'integer', minimum: 1, maximum: limits.maxK, default: 10, description: 'Hits to return' },
      lang: { type: 'string', minLength: 1, maxLength: 64, description: 'Only this language' },
      path: {
        type: 'string',
        minLength: 1,
        maxLength: 512,
        description: "A glob over file paths ('src/**/*.py'; without a slash it matches the file name)",
      },
      mode: { type: 'string', enum: [...SEARCH_MODES], default: DEFAULT_SEARCH_MODE },
    },
  } as const;
}

export const searchResponseSchema = {
  type: 'object',
  required: ['hits', 'mode', 'tookMs'],
  properties: { hits: { type: 'array', items: hit }, mode: { type: 'string' }, tookMs: { type: 'number' } },
} as const;

export function embedBodySchema(limits: ServeLimits) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['texts'],
    properties: {
      texts: {
        type: 'array',
        minItems: 1,
        maxItems: limits.maxEmbedTexts,
        items: { type: 'string', maxLength: limits.maxTextChars },
      },
    },
  } as const;
}

export const embedResponseSchema = {
  type: 'object',
  required: ['model', 'dim', 'vectors'],
  properties: {
    model: { type: 'string' },
    dim: { type: 'integer' },
    vectors: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
  },
} as const;

/** An OpenAPI 3.1 description of the API (3.1 takes JSON Schema as it is). */
export function openApiDocument(limits: ServeLimits, version: string) {
  const json = (schema: object) => ({ content: { 'application/json': { schema } } });
  const errors = {
    '400': { description: 'A bad request; `field` names the field at fault', ...json(errorSchema) },
    '401': { description: 'The token is missing or wrong', ...json(errorSchema) },
    '413': { description: `The body is over ${limits.maxBodyBytes} bytes`, ...json(errorSchema) },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'secora', version, description: 'Code search over a secora index' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'When the server has a token' },
      },
    },
    security: [{}, { bearer: [] }],
    paths: {
      '/search': {
        post: {
          summary: 'The best functions for a query',
          requestBody: { required: true, ...json(searchBodySchema(limits)) },
          responses: { '200': { description: 'Ranked hits', ...json(searchResponseSchema) }, ...errors },
        },
      },
      '/embed': {
        post: {
          summary: "Embeddings of texts by the index's model (L2-normalized)",
          requestBody: { required: true, ...json(embedBodySchema(limits)) },
          responses: {
            '200': { description: 'One vector per text', ...json(embedResponseSchema) },
            ...errors,
          },
        },
      },
      '/health': { get: { summary: 'Liveness', responses: { '200': { description: '{ ok: true }' } } } },
      '/stats': {
        get: {
          summary: 'Index size, model, uptime, requests, latency percentiles, memory',
          responses: { '200': { description: 'Statistics' } },
        },
      },
      '/openapi.json': {
        get: { summary: 'This description', responses: { '200': { description: 'OpenAPI' } } },
      },
    },
  };
}
