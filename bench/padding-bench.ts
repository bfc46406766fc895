// Padding: the default run's training step on real default-corpus batches (length-bucketed, padded to the
// longest row of each batch) against the same shapes with every position a real token, alternating batch by
// batch. Real tokens/s against full-batch tokens/s says how much compute padding costs, i.e. what packing
// variable-length rows could win at most.
//
//   npx tsc -p bench/encoder.tsconfig.json && node build/bench/bench/padding-bench.js [--steps 12] [--threads 2]
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Batcher, DEFAULT_BUCKET_POOL } from '../src/data/batcher/batcher.js';
import { openDataSource } from '../src/data/data-source.js';
import { defaultCorpus } from '../src/data/miner/default-corpus.js';
import type { TokenBatch } from '../src/data/token-batch.js';
import { CodeTokenizer } from '../src/data/tokenizer/code-tokenizer.js';
import { trainingTexts } from '../src/data/tokenizer/training-texts.js';
import { defaultEncoderConfig } from '../src/model/config.js';
import { arg } from './args.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
process.env['SECORA_ADDON'] ??= join(repo, 'build-native', 'Release', 'secora.node');
process.env['SECORA_CACHE'] ??= join(repo, '.cache', 'secora');
const { native } = await import('../src/native.js');
const { Encoder } = await import('../src/model/encoder.js');

const steps = Number(arg('steps', '12'));
native().setNumThreads(Number(arg('threads', '2')));

const corpus = await defaultCorpus({ log: () => {} });
const train = () => openDataSource({ format: 'codesearchnet', path: corpus.dir, split: 'train' });
const tokenizer = await CodeTokenizer.train(trainingTexts(train().records(), 20000), {
  modelType: 'roberta',
  vocabSize: 16384,
});
// configs/default.yml: 2 layers, mean pooling, pairs of ≤ 64 query and ≤ 128 code tokens, batch 64, bf16.
const config = defaultEncoderConfig({
  numHiddenLayers: 2,
  pooling: 'mean',
  maxPositionEmbeddings: 130,
  vocabSize: tokenizer.vocabSize,
  padTokenId: tokenizer.special.pad,
});
const enc = await Encoder.create(config, { seed: 1, precision: 'bf16' });
const batcher = await Batcher.open({
  source: train(),
  tokenizer,
  batchSize: 64,
  mode: 'pairs',
  maxDocLength: 64,
  maxCodeLength: 128,
  seed: 42,
  bucketPool: DEFAULT_BUCKET_POOL,
  maxSteps: steps + 1,
});

const real = (t: TokenBatch) => t.attentionMask.reduce((s, v) => s + v, 0);
/** The same shape with every position a real token (ids kept, padding replaced by a real id). */
const full = (t: TokenBatch): TokenBatch => ({
  batchSize: t.batchSize,
  seqLen: t.seqLen,
  inputIds: t.inputIds.map((id, i) => (t.attentionMask[i] ? id : 5)),
  attentionMask: new Uint8Array(t.attentionMask.length).fill(1),
});
const step = (a: TokenBatch, b: TokenBatch) =>
  enc.trainStep({ objective: 'pairs', a, b, temperature: 0.05, symmetric: true, lr: 1e-3, maxGradNorm: 1 });

let realTokens = 0;
let allTokens = 0;
let realSeconds = 0;
let fullSeconds = 0;
let i = 0;
for await (const batch of batcher) {
  const a = full(batch.docs);
  const b = full(batch.code);
  let t0 = performance.now();
  await step(batch.docs, batch.code);
  const tr = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await step(a, b);
  const tf = (performance.now() - t0) / 1000;
  if (i++ === 0) continue; // warm-up
  realSeconds += tr;
  fullSeconds += tf;
  realTokens += real(batch.docs) + real(batch.code);
  allTokens += a.batchSize * a.seqLen + b.batchSize * b.seqLen;
}
console.log(
  `padding-bench: default run's step, ${steps} real batches (bucketed), bf16, load average ${loadavg()[0]!.toFixed(1)}\n` +
    `padding ${(100 * (1 - realTokens / allTokens)).toFixed(0)} % of the positions computed\n` +
    `real batches:  ${(realSeconds / steps).toFixed(2)} s/step, ${(realTokens / realSeconds / 1e3).toFixed(1)}k real tokens/s\n` +
    `same shapes, no padding: ${(fullSeconds / steps).toFixed(2)} s/step, ${(allTokens / fullSeconds / 1e3).toFixed(1)}k tokens/s\n` +
    `real tokens/s of the real batches / tokens/s of the unpadded ones: ${(realTokens / realSeconds / (allTokens / fullSeconds)).toFixed(2)}`,
);
await enc.dispose();
