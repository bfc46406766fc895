// The HTTP API of `secora serve` over a tiny index, through a real socket on 127.0.0.1: every route, the
// status codes, each kind of bad input, the limits and the token check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchViaServer } from '../src/cli/search-server.js';
import { CodeIndex } from '../src/search/code-index.js';
import { DEFAULT_SEARCH_MODE } from '../src/search/fusion.js';
import { HashingEmbedder } from '../src/search/hashing-embedder.js';
import { type RunningServer, startServer } from '../src/serve/server.js';
import { post, serveTiny, tinyIndexFile } from './serve-fixtures.js';

let fixture: Awaited<ReturnType<typeof tinyIndexFile>>;
let server: RunningServer;
let url: string;

beforeAll(async () => {
  fixture = await tinyIndexFile('secora-serve-api-');
  server = await serveTiny(fixture.file);
  url = server.url;
});
afterAll(async () => {
  await server?.close();
  fixture?.cleanup();
});

type Hit = { path: string; name: string; language: string; startLine: number; score: number; code: string };
const hitsOf = (json: Record<string, unknown>) => json['hits'] as Hit[];

describe('serve: routes', () => {
  it('GET /health', async () => {
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('POST /search ranks the function that does what the query says first, in every mode', async () => {
    for (const mode of ['dense', 'bm25', 'hybrid']) {
      const { status, json } = await post(`${url}/search`, {
        query: 'read a JSON document from a file',
        k: 3,
        mode,
      });
      expect(status, mode).toBe(200);
      const hits = hitsOf(json);
      expect(hits).toHaveLength(3);
      expect(hits[0]).toMatchObject({
        name: 'read_json_file',
        path: 'src/io/json.py',
        language: 'python',
        startLine: 1,
      });
      expect(hits[0]!.code).toContain('json.load');
      for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
      expect(json['mode']).toBe(mode);
    }
  });

  it('hybrid and dense give the same ranking as the library (CodeIndex.search)', async () => {
    const index = CodeIndex.load(fixture.file, new HashingEmbedder(64));
    for (const mode of ['dense', 'hybrid', 'bm25'] as const) {
      const expected = await index.search('sort strings', { k: 5, mode });
      const { json } = await post(`${url}/search`, { query: 'sort strings', k: 5, mode });
      expect(hitsOf(json).map((h) => [h.name, h.score])).toEqual(expected.map((h) => [h.name, h.score]));
    }
  });

  it('filters by language and by a path glob', async () => {
    const byLang = await post(`${url}/search`, { query: 'parse', k: 8, lang: 'python', mode: 'dense' });
    expect(hitsOf(byLang.json).length).toBeGreaterThan(0);
    expect(hitsOf(byLang.json).every((h) => h.language === 'python')).toBe(true);
    const byDir = await post(`${url}/search`, {
      query: 'parse a date',
      k: 8,
      path: 'src/util/**',
      mode: 'hybrid',
    });
    expect(new Set(hitsOf(byDir.json).map((h) => h.path))).toEqual(
      new Set(['src/util/sort.go', 'src/util/hash.rb', 'src/util/strings.php', 'src/util/date.py']),
    );
    const byName = await post(`${url}/search`, { query: 'file', k: 8, path: '*.py', mode: 'bm25' });
    expect(hitsOf(byName.json).every((h) => h.path.endsWith('.py'))).toBe(true);
    const none = await post(`${url}/search`, { query: 'file', k: 8, path: 'nowhere/**' });
    expect(none.status).toBe(200);
    expect(none.json['mode']).toBe(DEFAULT_SEARCH_MODE); // no mode: the one `secora search` uses
    const stats = (await (await fetch(`${url}/stats`)).json()) as { search: { defaultMode: string } };
    expect(stats.search.defaultMode).toBe(DEFAULT_SEARCH_MODE);
    expect(hitsOf(none.json)).toEqual([]);
  });

  it('POST /embed returns one normalized vector per text, as the model makes it', async () => {
    const { status, json } = await post(`${url}/embed`, { texts: ['read a file', 'sort a list'] });
    expect(status).toBe(200);
    expect(json['dim']).toBe(64);
    expect(json['model']).toBe('hashing-bag-of-subtokens/v1/dim=64');
    const vectors = json['vectors'] as number[][];
    const expected = await new HashingEmbedder(64).embed(['read a file', 'sort a list']);
    expect(vectors).toHaveLength(2);
    vectors.forEach((v, i) => {
      expect(v).toHaveLength(64);
      for (let j = 0; j < v.length; j++) expect(v[j]).toBeCloseTo(expected[i]![j]!, 6);
    });
  });

  it('GET /stats counts requests and reports the index, the model and latency percentiles', async () => {
    await fetch(`${url}/health`);
    const response = await fetch(`${url}/stats`);
    expect(response.status).toBe(200);
    const stats = (await response.json()) as Record<string, Record<string, unknown>>;
    expect(stats['index']).toMatchObject({ snippets: 8, files: 7, factory: 'Flat' });
    expect(stats['index']!['languages']).toEqual(['go', 'java', 'javascript', 'php', 'python', 'ruby']);
    expect(stats['model']).toMatchObject({ id: 'hashing-bag-of-subtokens/v1/dim=64', dim: 64 });
    expect(stats['requests']!['total']).toBeGreaterThanOrEqual(1);
    expect(stats['requests']!['inFlight']).toBe(1); // this one
    const search = (stats['latencyMs'] as Record<string, Record<string, number>>)['POST /search']!;
    expect(search['requests']).toBeGreaterThan(0);
    expect(search['p50']).toBeGreaterThan(0);
    expect(search['p99']).toBeGreaterThanOrEqual(search['p95']!);
    expect(search['p95']).toBeGreaterThanOrEqual(search['p50']!);
    expect(Number(stats['uptimeSeconds'])).toBeGreaterThanOrEqual(0);
    expect(stats['memory']!['rssBytes']).toBeGreaterThan(0);
  });

  it('GET /openapi.json describes the routes with the schemas that validate them', async () => {
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: {
              content: Record<
                string,
                { schema: { properties: Record<string, { maxLength?: number; enum?: string[] }> } }
              >;
            };
          }
        >
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/search', '/embed', '/health', '/stats']),
    );
    const schema = doc.paths['/search']!['post']!.requestBody!.content['application/json']!.schema;
    expect(schema.properties['query']!.maxLength).toBe(1000);
    expect(schema.properties['mode']!.enum).toEqual(['dense', 'bm25', 'hybrid']);
  });

  it("answers secora search's client (searchViaServer) for its own index file, and only for it", async () => {
    const query = { query: 'sort strings', k: 3, mode: 'dense' as const };
    const hits = await searchViaServer(url, fixture.file, query);
    const direct = await post(`${url}/search`, query);
    expect(hits?.map((h) => h.name)).toEqual(hitsOf(direct.json).map((h) => h.name));
    expect(await searchViaServer(url, `${fixture.file}.other`, query)).toBeUndefined();
  });

  it('serves the page and its files, and nothing outside its folder', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<input id="q"');
    const script = await fetch(`${url}/static/app.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    for (const path of ['/static/..%2Fpackage.json', '/static/nope.js', '/static/../package.json']) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(404);
    }
  });
});

describe('serve: bad requests get a 4xx JSON error naming the field', () => {
  const cases: [string, unknown, number, string, RegExp][] = [
    ['empty query', { query: '' }, 400, 'query', /must not be empty/],
    ['blank query', { query: '   ' }, 400, 'query', /must not be empty/],
    ['no query', { k: 3 }, 400, 'query', /query is required/],
    ['query too long', { query: 'x'.repeat(1001) }, 400, 'query', /1000 characters/],
    ['query not a string', { query: 42 }, 400, 'query', /must be string/],
    ['k = 0', { query: 'read', k: 0 }, 400, 'k', /must be >= 1/],
    ['k too large', { query: 'read', k: 101 }, 400, 'k', /must be <= 100/],
    ['k a string', { query: 'read', k: '5' }, 400, 'k', /must be integer/],
    ['k fractional', { query: 'read', k: 2.5 }, 400, 'k', /must be integer/],
    ['unknown mode', { query: 'read', mode: 'fuzzy' }, 400, 'mode', /one of: dense, bm25, hybrid/],
    ['unknown field', { query: 'read', limit: 3 }, 400, 'limit', /not a field/],
    [
      'unknown language',
      { query: 'read', lang: 'cobol' },
      400,
      'lang',
      /'cobol' is not in this index.*python/,
    ],
    ['body an array', ['read'], 400, 'body', /must be object/],
  ];
  for (const [what, body, status, field, message] of cases) {
    it(what, async () => {
      const reply = await post(`${url}/search`, body);
      expect(reply.status).toBe(status);
      expect(reply.json).toMatchObject({ statusCode: status, field });
      expect(String(reply.json['message'])).toMatch(message);
    });
  }

  it('embed: no texts, too many texts, a text not a string, a text too long', async () => {
    const empty = await post(`${url}/embed`, { texts: [] });
    expect([empty.status, empty.json['field']]).toEqual([400, 'texts']);
    const many = await post(`${url}/embed`, { texts: Array.from({ length: 65 }, () => 'x') });
    expect([many.status, many.json['field']]).toEqual([400, 'texts']);
    expect(String(many.json['message'])).toMatch(/64 items/);
    const notString = await post(`${url}/embed`, { texts: ['ok', 7] });
    expect([notString.status, notString.json['field']]).toEqual([400, 'texts.1']);
    const long = await post(`${url}/embed`, { texts: ['x'.repeat(20_001)] });
    expect([long.status, long.json['field']]).toEqual([400, 'texts.0']);
  });

  it('not JSON (400), not application/json (415), a body over the limit (413), an unknown route (404)', async () => {
    const broken = await post(`${url}/search`, null, { raw: '{"query": "read"' });
    expect([broken.status, broken.json['field']]).toEqual([400, 'body']);
    const text = await post(`${url}/search`, null, { raw: 'read a file', contentType: 'text/plain' });
    expect([text.status, text.json['field']]).toEqual([415, 'content-type']);
    const huge = await post(`${url}/search`, { query: 'x'.repeat(300 * 1024) });
    expect([huge.status, huge.json['field']]).toEqual([413, 'body']);
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toBe('no route GET /nope');
  });
});

describe('serve: binding and the token', () => {
  it('refuses to bind another address than loopback without a token', async () => {
    await expect(startServer({ index: fixture.file, host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /binding to 0\.0\.0\.0 .*--token or SECORA_TOKEN/,
    );
  });

  it('with a token, every request needs it: header or ?token= for the page', async () => {
    const guarded = await serveTiny(fixture.file, { token: 's3cret' });
    try {
      const base = guarded.url;
      const none = await fetch(`${base}/health`);
      expect(none.status).toBe(401);
      expect(await none.json()).toMatchObject({ field: 'authorization', message: /needs a token/ });
      const wrong = await fetch(`${base}/stats`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      expect((await post(`${base}/search`, { query: 'read' })).status).toBe(401);
      expect((await post(`${base}/search`, { query: 'read' }, { token: 's3cret' })).status).toBe(200);
      expect((await fetch(`${base}/health`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(
        200,
      );
      expect((await fetch(`${base}/?token=s3cret`)).status).toBe(200);
      expect((await fetch(`${base}/?token=wrong`)).status).toBe(401);
    } finally {
      await guarded.close();
    }
  });
});
