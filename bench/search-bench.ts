// Search benchmark: exact (flat) vs HNSW vs IVF on clustered random unit vectors (latency per single query,
// p50/p99, and recall@10 against flat), then on real code: BM25 build and query time, the embedding
// throughput while indexing, and end-to-end CodeIndex search (dense, hybrid) on ~50k mined functions.
//
//   npx tsc -p bench/search.tsconfig.json && SECORA_ADDON=$PWD/build-native/Release/secora.node \
//     node build/bench/bench/search-bench.js \
//     [--sizes 10000,100000] [--dim 256] [--queries 500] [--cluster-size 100] [--noise 0.6]
//     [--functions 50000] [--encoder-functions 2000]
//     [--code-roots /usr/lib/python3.11,/usr/lib/python3/dist-packages,node_modules]   ('none' skips a part)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mineFunctions } from '../src/data/miner/mine.js';
import { CodeTokenizer } from '../src/data/tokenizer/code-tokenizer.js';
import { mulberry32, seededPermutation } from '../src/eval/seeded-shuffle.js';
import { defaultEncoderConfig } from '../src/model/config.js';
import { normalizeInPlace } from '../src/model/embedder.js';
import { Encoder } from '../src/model/encoder.js';
import { Bm25Index } from '../src/search/bm25.js';
import { ivfFactory } from '../src/search/choose-factory.js';
import { CodeIndex } from '../src/search/code-index.js';
import { buildFaiss, type FaissIndex, faiss } from '../src/search/faiss-build.js';
import { writeSearchParams } from '../src/search/faiss-search-params.js';
import { HashingEmbedder } from '../src/search/hashing-embedder.js';
import type { Snippet } from '../src/search/snippet.js';
import { arg } from './args.js';

const sizes =
  arg('sizes', '10000,100000') === 'none' ? [] : arg('sizes', '10000,100000').split(',').map(Number);
const dim = Number(arg('dim', '256'));
const nQueries = Number(arg('queries', '500'));
const codeRoots = arg('code-roots', '/usr/lib/python3.11,/usr/lib/python3/dist-packages,node_modules').split(
  ',',
);
const maxFunctions = Number(arg('functions', '50000'));
const encoderFunctions = Number(arg('encoder-functions', '2000'));
// Points per cluster centre: 100 puts about as many centres as IVF lists (kind to IVF); try 20 as well.
const clusterSize = Number(arg('cluster-size', '100'));
// Spread of the points around their centre, relative to the centre's norm: larger is harder for ANN.
const noise = Number(arg('noise', '0.6'));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function ms(x: number): string {
  return x.toFixed(x < 10 ? 2 : 1);
}

/** Gaussian via Box–Muller from a seeded uniform source. */
function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** n unit vectors around `centres` (spread `noise` times a centre's norm): clustered like embeddings. */
function clustered(n: number, d: number, seed: number, centres: Float32Array[]): Float32Array[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(random() * centres.length)]!;
    const v = new Float32Array(d);
    for (let j = 0; j < d; j++) v[j] = c[j]! + (noise / Math.sqrt(d)) * gaussian(random);
    return normalizeInPlace(v);
  });
}

/** Per-query latency (one query per call, as `secora search` does, after a warm-up) and the labels found. */
function timeSearch(
  index: FaissIndex,
  queries: Float32Array[],
  k: number,
): { lat: number[]; labels: number[][] } {
  const lat: number[] = [];
  const labels: number[][] = [];
  // Warm up first: faiss's OpenMP threads are parked after an idle spell.
  for (const q of queries.slice(0, 20)) index.search(Array.from(q), k);
  for (const q of queries) {
    const t = performance.now();
    const r = index.search(Array.from(q), k);
    lat.push(performance.now() - t);
    labels.push(r.labels);
  }
  return { lat: lat.sort((a, b) => a - b), labels };
}

function recallAt10(found: number[][], truth: number[][]): number {
  let hits = 0;
  found.forEach((f, i) => {
    const t = new Set(truth[i]);
    hits += f.filter((x) => t.has(x)).length;
  });
  return hits / (truth.length * 10);
}

const rows: string[] = [];
function row(...cells: (string | number)[]): void {
  const line = `| ${cells.join(' | ')} |`;
  rows.push(line);
  process.stdout.write(`${line}\n`);
}

async function annBench(): Promise<void> {
  row('vectors', 'index', 'param', 'build s', 'p50 ms', 'p99 ms', 'recall@10');
  row('---', '---', '---', '---', '---', '---', '---');
  for (const n of sizes) {
    const random = mulberry32(n);
    const centres = Array.from({ length: Math.max(10, Math.floor(n / clusterSize)) }, () =>
      Float32Array.from({ length: dim }, () => gaussian(random) / Math.sqrt(dim)),
    );
    const data = clustered(n, dim, 1, centres);
    const queries = clustered(nQueries, dim, 2, centres);
    let t = performance.now();
    const flat = buildFaiss(dim, 'Flat', data, {});
    const flatBuild = (performance.now() - t) / 1000;
    const exact = timeSearch(flat, queries, 10);
    row(
      n,
      'Flat',
      '-',
      flatBuild.toFixed(1),
      ms(percentile(exact.lat, 50)),
      ms(percentile(exact.lat, 99)),
      '1.000',
    );

    t = performance.now();
    const hnsw = buildFaiss(dim, 'HNSW32,Flat', data, { efSearch: 16 });
    const hnswBuild = (performance.now() - t) / 1000;
    const hnswBytes = hnsw.toBuffer();
    for (const efSearch of [16, 32, 64, 128]) {
      const index = faiss().Index.fromBuffer(writeSearchParams(Buffer.from(hnswBytes), { efSearch }));
      const r = timeSearch(index, queries, 10);
      const p50 = ms(percentile(r.lat, 50));
      const recall = recallAt10(r.labels, exact.labels).toFixed(3);
      row(
        n,
        'HNSW32,Flat',
        `efSearch=${efSearch}`,
        hnswBuild.toFixed(1),
        p50,
        ms(percentile(r.lat, 99)),
        recall,
      );
    }

    const factory = ivfFactory(n);
    t = performance.now();
    const ivf = buildFaiss(dim, factory, data, { nprobe: 1 });
    const ivfBuild = (performance.now() - t) / 1000;
    const ivfBytes = ivf.toBuffer();
    for (const nprobe of [1, 4, 16, 64]) {
      const index = faiss().Index.fromBuffer(writeSearchParams(Buffer.from(ivfBytes), { nprobe }));
      const r = timeSearch(index, queries, 10);
      const p50 = ms(percentile(r.lat, 50));
      const recall = recallAt10(r.labels, exact.labels).toFixed(3);
      row(n, factory, `nprobe=${nprobe}`, ivfBuild.toFixed(1), p50, ms(percentile(r.lat, 99)), recall);
    }
  }
}

async function codeBench(): Promise<void> {
  const snippets: Snippet[] = [];
  const docstrings: string[] = [];
  let t = performance.now();
  mining: for (const root of codeRoots) {
    for await (const r of mineFunctions(root, { documentedOnly: false })) {
      snippets.push({
        path: r.path,
        startLine: r.startLine ?? 1,
        endLine: r.endLine ?? 1,
        name: r.funcName,
        language: r.language,
        code: r.originalString ?? r.code,
      });
      if (r.docstring.split(/\s+/).length >= 4) docstrings.push(r.docstring);
      if (snippets.length >= maxFunctions) break mining;
    }
  }
  const mineS = (performance.now() - t) / 1000;
  process.stdout.write(
    `\nmined ${snippets.length} functions from ${codeRoots.join(', ')} in ${mineS.toFixed(1)} s\n`,
  );
  const queries = seededPermutation(docstrings.length, 3)
    .slice(0, nQueries)
    .map((i) => docstrings[i]!);

  t = performance.now();
  const bm25 = new Bm25Index(snippets.map((s) => s.code));
  const bm25Build = performance.now() - t;
  const bm25Lat: number[] = [];
  for (const q of queries) {
    const s = performance.now();
    bm25.search(q, 10);
    bm25Lat.push(performance.now() - s);
  }
  bm25Lat.sort((a, b) => a - b);

  const embedder = new HashingEmbedder(dim);
  t = performance.now();
  const index = await CodeIndex.build(embedder, snippets, { factory: 'Flat' });
  const buildS = (performance.now() - t) / 1000;
  const dir = mkdtempSync(join(tmpdir(), 'secora-bench-'));
  const file = join(dir, 'bench.sidx');
  index.save(file);
  const size = statSync(file).size;
  t = performance.now();
  const loaded = CodeIndex.load(file, embedder);
  const loadS = (performance.now() - t) / 1000;
  rmSync(dir, { recursive: true, force: true });
  t = performance.now();
  await loaded.search(queries[0]!, { k: 10, hybrid: 'rrf' });
  const firstHybrid = performance.now() - t;
  const lat = async (hybrid: 'rrf' | false) => {
    await loaded.search(queries[0]!, { k: 10, hybrid });
    const out: number[] = [];
    for (const q of queries) {
      const s = performance.now();
      await loaded.search(q, { k: 10, hybrid });
      out.push(performance.now() - s);
    }
    return out.sort((a, b) => a - b);
  };
  const dense = await lat(false);
  t = performance.now();
  const hybrid = await lat('rrf');

  row('what', 'n', 'result');
  row('---', '---', '---');
  row('BM25 build (code-aware tokens)', snippets.length, `${ms(bm25Build)} ms`);
  row(
    'BM25 query, top 10',
    snippets.length,
    `p50 ${ms(percentile(bm25Lat, 50))} ms, p99 ${ms(percentile(bm25Lat, 99))} ms`,
  );
  row(
    'indexing with HashingEmbedder (embed + faiss add)',
    snippets.length,
    `${(snippets.length / buildS).toFixed(0)} functions/s`,
  );
  row(
    'index file size / load time',
    snippets.length,
    `${(size / 2 ** 20).toFixed(1)} MiB / ${ms(loadS * 1000)} ms`,
  );
  row('first hybrid query after load (BM25 read from the file)', snippets.length, `${ms(firstHybrid)} ms`);
  row(
    'CodeIndex.search dense, k=10 (embed query + flat)',
    snippets.length,
    `p50 ${ms(percentile(dense, 50))} ms, p99 ${ms(percentile(dense, 99))} ms`,
  );
  row(
    'CodeIndex.search hybrid RRF, k=10',
    snippets.length,
    `p50 ${ms(percentile(hybrid, 50))} ms, p99 ${ms(percentile(hybrid, 99))} ms`,
  );
  if (encoderFunctions > 0) await encoderBench(snippets.slice(0, encoderFunctions), queries);
}

/**
 * The Encoder's throughput while indexing, and its per-query embedding time: the default architecture
 * (RoBERTa, 4 layers, hidden 256) with random weights and a BPE trained on the mined code. Weights do not
 * change the speed; a trained model of the same shape runs as fast.
 */
async function encoderBench(snippets: Snippet[], queries: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'secora-bench-enc-'));
  const tokenizer = await CodeTokenizer.train(
    snippets.map((s) => s.code),
    { modelType: 'roberta', vocabSize: 16_384, maxChars: 2_000_000 },
  );
  tokenizer.save(join(dir, 'tokenizer.json'));
  for (const precision of ['fp32', 'bf16'] as const) {
    const encoder = await Encoder.create(defaultEncoderConfig(), {
      tokenizer: join(dir, 'tokenizer.json'),
      precision,
      maxLength: 256,
    });
    let t = performance.now();
    await CodeIndex.build(encoder, snippets, { factory: 'Flat', batchSize: 32 });
    const rate = snippets.length / ((performance.now() - t) / 1000);
    const lat: number[] = [];
    for (const q of queries.slice(0, 100)) {
      t = performance.now();
      await encoder.embed([q]);
      lat.push(performance.now() - t);
    }
    lat.sort((a, b) => a - b);
    await encoder.dispose();
    const what = `Encoder ${precision} (roberta 4x256, max 256 tokens)`;
    row(`indexing with ${what}`, snippets.length, `${rate.toFixed(0)} functions/s`);
    row(
      `embedding one query with ${what}`,
      lat.length,
      `p50 ${ms(percentile(lat, 50))} ms, p99 ${ms(percentile(lat, 99))} ms`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}

const started = new Date().toISOString();
process.stdout.write(
  `# search bench ${started}, dim ${dim}, ${nQueries} queries, ${clusterSize} points per centre, noise ${noise}, node ${process.version}\n`,
);
if (sizes.length > 0) await annBench();
if (codeRoots[0] !== 'none') await codeBench();
