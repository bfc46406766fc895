// The HTTP server of `secora serve` (fastify): /search, /embed, /health, /stats, /openapi.json and the search
// page at /. Built from its parts (a LiveIndex, a batching embedder) so tests drive it with inject or a port.
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Embedder } from '../model/embedder.js';
import { DEFAULT_FUSION, DEFAULT_SEARCH_MODE, formatFusion } from '../search/fusion.js';
import { apiError, RequestError, toApiError } from './http-errors.js';
import { LatencyStats } from './latency-stats.js';
import type { LiveIndex } from './live-index.js';
import type { QueryBatcher } from './query-batcher.js';
import {
  DEFAULT_LIMITS,
  embedBodySchema,
  embedResponseSchema,
  openApiDocument,
  type ServeLimits,
  searchBodySchema,
  searchResponseSchema,
} from './schemas.js';
import { type DenseSearch, type SearchMode, searchIndex } from './search-request.js';
import { registerStaticPage } from './static-page.js';
import { VectorSearchBatcher } from './vector-search-batcher.js';

export interface AppOptions {
  live: LiveIndex;
  /** Embeds queries and /embed texts: a QueryBatcher over the model, so concurrent requests share calls. */
  embedder: QueryBatcher | Embedder;
  /** Where the model came from (a folder or 'hashing:256'), for /stats. */
  modelSource: string;
  /** Required on every request as `Authorization: Bearer <token>` (or ?token= for the page) when set. */
  token?: string;
  limits?: Partial<ServeLimits>;
  version?: string;
  /** Extra facts for /stats (the model's memory at rest). */
  extraStats?: () => Record<string, unknown>;
}

interface SearchBody {
  query: string;
  k: number;
  lang?: string;
  path?: string;
  mode: SearchMode;
}

function sameToken(given: string, expected: string): boolean {
  // Hashes first, so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.['token'] === 'string' ? query['token'] : undefined;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const { live, embedder } = options;
  // Concurrent requests' vector searches share faiss calls, as their queries share encoder calls.
  const vectorSearches = new VectorSearchBatcher();
  const denseSearch: DenseSearch = (index, vector, want, language) =>
    vectorSearches.search(index, vector, want, language);
  const app = Fastify({
    bodyLimit: limits.maxBodyBytes,
    // Strict: no coercing "5" to 5 and no silently dropped fields, so a bad request is told what is wrong.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    logger: false,
    return503OnClosing: true,
  });
  app.removeContentTypeParser('text/plain'); // JSON only: anything else is told 415
  const started = Date.now();
  const all = new LatencyStats();
  const routes = new Map<string, LatencyStats>();

  app.setErrorHandler((error, _request, reply) => {
    const body = toApiError(error instanceof Error ? error : new Error(String(error)));
    // The client is told only "internal error"; the operator gets the cause.
    if (body.statusCode >= 500)
      process.stderr.write(`secora serve: ${(error as Error)?.stack ?? String(error)}\n`);
    void reply.code(body.statusCode).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(apiError(404, `no route ${request.method} ${request.url.split('?')[0]}`));
  });

  if (options.token !== undefined) {
    const expected = options.token;
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const given = tokenOf(request);
      if (given === undefined || !sameToken(given, expected)) {
        const message =
          given === undefined
            ? 'this server needs a token: send Authorization: Bearer <token>'
            : 'the token is wrong';
        return reply.code(401).send(apiError(401, message, 'authorization'));
      }
    });
  }

  // On shutdown, requests in flight still finish, but their keep-alive connections end with them, so the
  // server can close without waiting for clients to hang up.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) void reply.header('connection', 'close');
  });

  let inFlight = 0;
  app.addHook('onRequest', async () => {
    inFlight++;
  });
  app.addHook('onResponse', async (request, reply) => {
    inFlight--;
    const route = `${request.method} ${request.routeOptions.url ?? 'unknown'}`;
    const ms = reply.elapsedTime;
    all.record(route, ms, reply.statusCode);
    const stats = routes.get(route) ?? new LatencyStats(2000);
    routes.set(route, stats);
    stats.record(route, ms, reply.statusCode);
  });

  app.post<{ Body: SearchBody }>(
    '/search',
    { schema: { body: searchBodySchema(limits), response: { 200: searchResponseSchema } } },
    async (request) => {
      const t0 = performance.now();
      const { query, k, lang, path, mode } = request.body;
      const index = live.current; // this object answers the whole request, whatever is swapped in meanwhile
      if (lang !== undefined && !live.summary().languages.includes(lang)) {
        const known = live.summary().languages.join(', ') || 'none';
        throw new RequestError(400, `lang '${lang}' is not in this index (it has: ${known})`, 'lang');
      }
      const vector = mode === 'bm25' ? undefined : (await embedder.embed([query]))[0];
      const hits = await searchIndex(index, { query, k, mode, language: lang, path }, vector, denseSearch);
      return {
        hits: hits.map(({ id: _id, ...hit }) => hit),
        mode,
        tookMs: Math.round((performance.now() - t0) * 100) / 100,
      };
    },
  );

  app.post<{ Body: { texts: string[] } }>(
    '/embed',
    { schema: { body: embedBodySchema(limits), response: { 200: embedResponseSchema } } },
    async (request) => {
      const rows = await embedder.embed(request.body.texts);
      return { model: embedder.modelId, dim: embedder.dim, vectors: rows.map((r) => Array.from(r)) };
    },
  );

  app.get('/health', async () => ({ ok: true }));

  app.get('/stats', async () => {
    const latency = Object.fromEntries(
      [...routes].map(([route, s]) => [route, { requests: s.requests, ...s.latency() }]),
    );
    const batcher =
      'calls' in embedder ? { encoderCalls: embedder.calls, textsEmbedded: embedder.texts } : {};
    const memory = process.memoryUsage();
    return {
      model: { id: embedder.modelId, source: options.modelSource, dim: embedder.dim },
      index: { file: live.file, ...live.summary(), generation: live.generation, swappedAt: live.swappedAt },
      uptimeSeconds: Math.round((Date.now() - started) / 100) / 10,
      requests: { total: all.requests, errors: all.errors, inFlight },
      latencyMs: { all: all.latency(), ...latency },
      batching: { ...batcher, faissCalls: vectorSearches.calls, vectorSearches: vectorSearches.queries },
      memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, externalBytes: memory.external },
      limits,
      search: { defaultMode: DEFAULT_SEARCH_MODE, fusion: formatFusion(DEFAULT_FUSION) },
      ...options.extraStats?.(),
    };
  });

  const openapi = openApiDocument(limits, options.version ?? '0');
  app.get('/openapi.json', async () => openapi);

  registerStaticPage(app);
  return app;
}
