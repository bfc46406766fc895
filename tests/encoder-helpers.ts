// Small models and data for the encoder tests: a tiny config, seeded random token batches, a synthetic
// retrieval task and a word-level tokenizer built in memory.
import { Tokenizer, templateProcessing, WordLevel, whitespacePreTokenizer } from 'tokenizers';
import type { TokenBatch } from '../src/data/token-batch.js';
import { mulberry32 } from '../src/eval/seeded-shuffle.js';
import { defaultEncoderConfig, type EncoderConfig } from '../src/model/config.js';
import { native } from '../src/native.js';

// Test files run in parallel processes on few cores: one libtorch thread each avoids OpenMP teams that stall
// when another process takes their core (measured here: 5 ms a step on 1 thread, 100+ ms on 2 under load).
native().setNumThreads(1);

export function tinyConfig(overrides: Partial<EncoderConfig> = {}): EncoderConfig {
  return defaultEncoderConfig({
    modelType: 'bert',
    vocabSize: 64,
    hiddenSize: 16,
    numHiddenLayers: 2,
    numAttentionHeads: 2,
    intermediateSize: 24,
    maxPositionEmbeddings: 32,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
    padTokenId: 0,
    ...overrides,
  });
}

/** A deterministic pseudo-random stream: the project's own mulberry32. */
export const rng = mulberry32;

/** Rows of random ids in [3, vocab) with random lengths in [minLen, seqLen], padded with padId. */
export function randomBatch(
  seed: number,
  batchSize: number,
  seqLen: number,
  vocabSize: number,
  padId: number,
  minLen = 2,
): TokenBatch {
  const next = rng(seed);
  const inputIds = new Int32Array(batchSize * seqLen).fill(padId);
  const attentionMask = new Uint8Array(batchSize * seqLen);
  const tokenTypeIds = new Int32Array(batchSize * seqLen);
  for (let r = 0; r < batchSize; r++) {
    const len = minLen + Math.floor(next() * (seqLen - minLen + 1));
    for (let i = 0; i < len; i++) {
      let id = 3 + Math.floor(next() * (vocabSize - 3));
      if (id === padId) id = 2;
      inputIds[r * seqLen + i] = id;
      attentionMask[r * seqLen + i] = 1;
      tokenTypeIds[r * seqLen + i] = i >= len / 2 ? 1 : 0;
    }
  }
  return { inputIds, attentionMask, tokenTypeIds, batchSize, seqLen };
}

/**
 * A retrieval task: query i holds topic words of pair i (ids 4..33) among noise; its code holds the
 * "translated" words (id + 30) among other noise. A model has to learn the mapping to match them.
 */
export function retrievalBatch(
  seed: number,
  batchSize: number,
  seqLen = 12,
): { a: TokenBatch; b: TokenBatch } {
  const next = rng(seed);
  const make = (): TokenBatch => ({
    inputIds: new Int32Array(batchSize * seqLen),
    attentionMask: new Uint8Array(batchSize * seqLen).fill(1),
    batchSize,
    seqLen,
  });
  const a = make();
  const b = make();
  for (let r = 0; r < batchSize; r++) {
    const topics = [0, 1, 2].map(() => 4 + Math.floor(next() * 30));
    for (let i = 0; i < seqLen; i++) {
      const noise = () => 1 + Math.floor(next() * 3);
      a.inputIds[r * seqLen + i] = i < 3 ? topics[i]! : noise();
      b.inputIds[r * seqLen + i] = i >= seqLen - 3 ? topics[i - (seqLen - 3)]! + 30 : noise();
    }
  }
  return { a, b };
}

/** A word-level tokenizer over `words` with [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, adding [CLS] … [SEP]. */
export function wordTokenizer(words: string[]): Tokenizer {
  const vocab: Record<string, number> = { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3 };
  for (const w of words) vocab[w] ??= Object.keys(vocab).length;
  const tokenizer = new Tokenizer(WordLevel.init(vocab, { unkToken: '[UNK]' }));
  tokenizer.setPreTokenizer(whitespacePreTokenizer());
  tokenizer.setPostProcessor(
    templateProcessing('[CLS] $A [SEP]', '[CLS] $A [SEP] $B:1 [SEP]:1', [
      ['[CLS]', 2],
      ['[SEP]', 3],
    ]),
  );
  return tokenizer;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
