// Micro-batching with the real Encoder (a tiny random BERT): N concurrent queries over HTTP take fewer
// encoder calls than N, and give the same hits as the same queries asked one by one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/model/embedder.js';
import { Encoder } from '../src/model/encoder.js';
import { CodeIndex } from '../src/search/code-index.js';
import { HashingEmbedder } from '../src/search/hashing-embedder.js';
import { QueryBatcher } from '../src/serve/query-batcher.js';
import type { RunningServer } from '../src/serve/server.js';
import { tinyConfig, wordTokenizer } from './encoder-helpers.js';
import { SNIPPETS } from './search-fixtures.js';
import { post, serveTiny } from './serve-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'secora-serve-batch-'));
const modelDir = join(root, 'model');
const indexFile = join(root, 'tiny.sidx');
const words = [...new Set(SNIPPETS.flatMap((s) => s.code.split(/[^A-Za-z]+/)).filter(Boolean))].slice(0, 50);
const QUERIES = [
  'read json file',
  'write json file',
  'open socket connection',
  'sort strings descending',
  'sha256 hex digest',
  'parse http response status',
  'slugify title',
  'parse iso date',
  'return json load',
  'open path',
  'def return',
  'string sort reverse',
];
let server: RunningServer;

beforeAll(async () => {
  const encoder = await Encoder.create(tinyConfig({ vocabSize: 64, maxPositionEmbeddings: 64 }), {
    seed: 5,
    tokenizer: wordTokenizer(words),
  });
  await encoder.save(modelDir);
  const index = await CodeIndex.build(encoder, SNIPPETS, { modelSource: modelDir });
  index.save(indexFile);
  await encoder.dispose();
  // A wide window, so requests that a loaded machine spreads over a few ms still meet in one call.
  server = await serveTiny(indexFile, { batchWindowMs: 25 });
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

type Hit = { name: string; score: number };
const search = async (query: string) =>
  (await post(`${server.url}/search`, { query, k: 5, mode: 'dense' })).json['hits'] as Hit[];

const faissCalls = async () =>
  ((await (await fetch(`${server.url}/stats`)).json()) as { batching: { faissCalls: number } }).batching
    .faissCalls;

describe('micro-batching', () => {
  it('N concurrent queries: fewer encoder calls than N, the same hits as one by one', async () => {
    const before = server.batcher.calls;
    const alone: Hit[][] = [];
    for (const q of QUERIES) alone.push(await search(q));
    expect(server.batcher.calls - before).toBe(QUERIES.length);

    const start = server.batcher.calls;
    const faissBefore = await faissCalls();
    const together = await Promise.all(QUERIES.map((q) => search(q)));
    const calls = server.batcher.calls - start;
    expect(calls).toBeLessThan(QUERIES.length);
    expect(calls).toBeGreaterThanOrEqual(1);
    // The searches of a batch share faiss calls too (one per batch, k and language).
    expect((await faissCalls()) - faissBefore).toBeLessThanOrEqual(calls);
    together.forEach((hits, i) => {
      const one = alone[i]!;
      expect(hits).toHaveLength(one.length);
      hits.forEach((h, j) => {
        expect(h.score).toBeCloseTo(one[j]!.score, 5);
        // A batch is one matrix product, a lone query a scan: scores may differ in the last bits, so two
        // functions whose scores tie within 1e-5 may swap; any other is the same function at the same place.
        const near = (m: number) => Math.abs((one[m]?.score ?? Number.NaN) - one[j]!.score) < 1e-5;
        if (!near(j - 1) && !near(j + 1)) expect(h.name, `${QUERIES[i]} #${j}`).toBe(one[j]!.name);
      });
    });
  });

  it('the served model was opened for inference: no optimizer state', async () => {
    const stats = (await (await fetch(`${server.url}/stats`)).json()) as {
      modelMemoryBytes: { parameters: number; gradients: number; optimizer: number };
    };
    expect(stats.modelMemoryBytes.parameters).toBeGreaterThan(0);
    expect(stats.modelMemoryBytes.optimizer).toBe(0);
    expect(stats.modelMemoryBytes.gradients).toBe(0);
  });
});

describe('QueryBatcher', () => {
  class Counting implements Embedder {
    readonly inner = new HashingEmbedder(16);
    readonly modelId = this.inner.modelId;
    readonly dim = 16;
    sizes: number[] = [];
    fail = false;
    async embed(texts: string[]) {
      this.sizes.push(texts.length);
      await new Promise((r) => setTimeout(r, 5));
      if (this.fail) throw new Error('model broke');
      return this.inner.embed(texts);
    }
  }

  it('splits at maxBatch, keeps each caller its own rows, and passes a failure to every caller of the batch', async () => {
    const inner = new Counting();
    const batcher = new QueryBatcher(inner, { windowMs: 5, maxBatch: 4 });
    const texts = Array.from({ length: 10 }, (_, i) => `text number ${i}`);
    const rows = await Promise.all(texts.map((t) => batcher.embed([t])));
    expect(inner.sizes).toEqual([4, 4, 2]);
    rows.forEach(([row], i) => {
      expect(Array.from(row!)).toEqual(Array.from(inner.inner.embedOne(texts[i]!)));
    });
    inner.fail = true;
    const failing = [batcher.embed(['a']), batcher.embed(['b'])];
    for (const p of failing) await expect(p).rejects.toThrow('model broke');
    expect(() => new QueryBatcher(inner, { maxBatch: 0 })).toThrow(/maxBatch/);
  });
});
