// The default run's real batches for benchmarks: the embedded default corpus, a tokenizer trained on it, the
// default config's encoder shape (2 layers, mean pooling, ≤ 64 query and ≤ 128 code tokens, batch 64) and the
// trainer's length-bucketed batcher. Shared by padding-bench and cpu-cache-bench.
import { Batcher, DEFAULT_BUCKET_POOL } from '../src/data/batcher/batcher.js';
import { openDataSource } from '../src/data/data-source.js';
import { defaultCorpus } from '../src/data/miner/default-corpus.js';
import type { TokenBatch } from '../src/data/token-batch.js';
import { CodeTokenizer } from '../src/data/tokenizer/code-tokenizer.js';
import { trainingTexts } from '../src/data/tokenizer/training-texts.js';
import type { EncoderConfig } from '../src/model/config.js';
import { defaultEncoderConfig } from '../src/model/config.js';

export interface DefaultRunBatches {
  config: EncoderConfig;
  batcher: Batcher;
}

/** `count` batches of the default run, as the trainer draws them (seed 42). */
export async function defaultRunBatches(count: number): Promise<DefaultRunBatches> {
  const corpus = await defaultCorpus({ log: () => {} });
  const train = () => openDataSource({ format: 'codesearchnet', path: corpus.dir, split: 'train' });
  const tokenizer = await CodeTokenizer.train(trainingTexts(train().records(), 20000), {
    modelType: 'roberta',
    vocabSize: 16384,
  });
  const config = defaultEncoderConfig({
    numHiddenLayers: 2,
    pooling: 'mean',
    maxPositionEmbeddings: 130,
    vocabSize: tokenizer.vocabSize,
    padTokenId: tokenizer.special.pad,
  });
  const batcher = await Batcher.open({
    source: train(),
    tokenizer,
    batchSize: 64,
    mode: 'pairs',
    maxDocLength: 64,
    maxCodeLength: 128,
    seed: 42,
    bucketPool: DEFAULT_BUCKET_POOL,
    maxSteps: count,
  });
  return { config, batcher };
}

/** The default run's step settings as the benchmarks time it: pairs, symmetric InfoNCE, clipping at 1.0. */
export const DEFAULT_STEP = {
  objective: 'pairs',
  temperature: 0.05,
  symmetric: true,
  lr: 1e-3,
  maxGradNorm: 1,
} as const;

/** The number of real tokens (attention mask 1) of a batch. */
export const realTokens = (t: TokenBatch) => t.attentionMask.reduce((s, v) => s + v, 0);

/** Seconds one call takes. */
export async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

export const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
export const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
