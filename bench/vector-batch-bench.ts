// The dense searches of a batch of queries, one faiss call each against one call for all
// (CodeIndex.searchVectors, which pads 2–19 queries to faiss's BLAS threshold on a flat index), alternating
// round by round in one process over the same index and query vectors. Also the encoder call that embeds the
// batch, for scale: what `secora serve` spends per batch of concurrent queries.
//
//   npm run build && npx tsc -p bench/serve.tsconfig.json && \
//     node build/bench/bench/vector-batch-bench.js --index build/serve-bench.sidx --model runs/<run>/best
//     [--queries 16] [--rounds 5] [--k 10]
import { CodeIndex } from '../src/search/code-index.js';
import { resolveModel } from '../src/search/resolve-model.js';
import { percentiles } from '../src/serve/latency-stats.js';
import { arg } from './args.js';
import { QUERIES } from './serve-queries.js';

process.env['OPENBLAS_NUM_THREADS'] ??= '1';

const n = Number(arg('queries', '16'));
const rounds = Number(arg('rounds', '5'));
const k = Number(arg('k', '10'));
const model = await resolveModel(arg('model', 'hashing'));
const index = CodeIndex.load(arg('index', 'build/serve-bench.sidx'), model.embedder);
const texts = Array.from({ length: n }, (_, i) => QUERIES[i % QUERIES.length]!);

const time = async (f: () => unknown): Promise<number> => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};
const vectors = await model.embedder.embed(texts);
// Warm-up: faiss, BLAS and the encoder's first calls.
index.searchVectors(vectors, k);
for (const v of vectors) index.searchVector(v, k);
const alone: number[] = [];
const together: number[] = [];
const embed: number[] = [];
for (let r = 0; r < rounds; r++) {
  const pair = [
    async () =>
      alone.push(
        await time(() => {
          for (const v of vectors) index.searchVector(v, k);
        }),
      ),
    async () => together.push(await time(() => index.searchVectors(vectors, k))),
  ];
  for (const run of r % 2 === 0 ? pair : [...pair].reverse()) await run();
  embed.push(await time(() => model.embedder.embed(texts)));
}
const med = (xs: number[]) => percentiles(xs, [50])[0]!;
const ratios = alone.map((a, i) => a / together[i]!);
console.log(
  `index: ${index.size} functions (${index.factory}), dim ${index.dim}; model ${model.source}; ${n} queries, k ${k}, ${rounds} rounds, alternating`,
);
console.log(
  `${n} × searchVector (one faiss call each): median ${med(alone).toFixed(1)} ms (${Math.min(...alone).toFixed(1)}–${Math.max(...alone).toFixed(1)})`,
);
console.log(
  `searchVectors (one faiss call): median ${med(together).toFixed(1)} ms (${Math.min(...together).toFixed(1)}–${Math.max(...together).toFixed(1)})`,
);
console.log(
  `ratio, round by round: median ${med(ratios).toFixed(1)}× (${Math.min(...ratios).toFixed(1)}–${Math.max(...ratios).toFixed(1)})`,
);
console.log(`embedding the ${n} queries in one encoder call: median ${med(embed).toFixed(1)} ms`);
await model.close();
