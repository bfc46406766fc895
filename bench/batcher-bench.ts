// Batcher benchmark on the embedded default corpus (the miner's defaultCorpus()): BPE training time, then the
// batcher's tokens/s (pairs and concat, with and without length bucketing) beside the tokens/s a training step
// of the default model consumes on this machine.
//
//   npx tsc -p bench/batcher.tsconfig.json && node build/bench/bench/batcher-bench.js \
//     [--vocab 16384] [--batch 32] [--batches 200] [--steps 5] [--precision bf16|fp32] [--threads 2]
//     [--bpe-root /usr/lib/python3.11 --bpe-chars 8000000]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Batcher, type BatcherConfig } from '../src/data/batcher/batcher.js';
import { openDataSource } from '../src/data/data-source.js';
import { defaultCorpus } from '../src/data/miner/default-corpus.js';
import type { TokenBatch } from '../src/data/token-batch.js';
import { CodeTokenizer } from '../src/data/tokenizer/code-tokenizer.js';
import { trainingTexts } from '../src/data/tokenizer/training-texts.js';
import { defaultEncoderConfig } from '../src/model/config.js';
import { arg } from './args.js';

// Compiled to build/bench/bench/: the package's addon and cache live three folders up.
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
process.env['SECORA_ADDON'] ??= join(repo, 'build-native', 'Release', 'secora.node');
process.env['SECORA_CACHE'] ??= join(repo, '.cache', 'secora');
const { Encoder } = await import('../src/model/encoder.js');

const vocabSize = Number(arg('vocab', '16384'));
const batchSize = Number(arg('batch', '32'));
const maxBatches = Number(arg('batches', '200'));
const steps = Number(arg('steps', '5'));

const real = (t: TokenBatch) => t.attentionMask.reduce((s, v) => s + v, 0);
const padded = (t: TokenBatch) => t.batchSize * t.seqLen;

const corpus = await defaultCorpus({ log: (l) => console.log(l) });
console.log(`corpus ${corpus.dir} (${corpus.built ? 'mined now' : 'cached'})`);
const train = () => openDataSource({ format: 'codesearchnet', path: corpus.dir, split: 'train' });

let chars = 0;
async function* counted(texts: AsyncIterable<string>) {
  for await (const t of texts) {
    chars += t.length;
    yield t;
  }
}
let t0 = performance.now();
const tokenizer = await CodeTokenizer.train(counted(trainingTexts(train().records())), {
  modelType: 'roberta',
  vocabSize,
});
const trainSeconds = (performance.now() - t0) / 1000;
console.log(
  `tokenizer: byte-level BPE, vocab ${tokenizer.vocabSize}, trained on ${(chars / 1e6).toFixed(1)} M chars in ${trainSeconds.toFixed(1)} s`,
);

// BPE training on more text than the default corpus holds: .py files under --bpe-root, up to --bpe-chars.
const bpeRoot = arg('bpe-root', '');
if (bpeRoot) {
  const bpeChars = Number(arg('bpe-chars', '8000000'));
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.py')) files.push(full);
    }
  };
  walk(bpeRoot);
  const texts: string[] = [];
  let total = 0;
  for (const f of files) {
    if (total >= bpeChars) break;
    const t = readFileSync(f, 'utf8');
    texts.push(t);
    total += t.length;
  }
  t0 = performance.now();
  const big = await CodeTokenizer.train(texts, { modelType: 'roberta', vocabSize, maxChars: bpeChars });
  console.log(
    `tokenizer: vocab ${big.vocabSize} on ${(total / 1e6).toFixed(1)} M chars of ${bpeRoot} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

async function run(label: string, over: Partial<BatcherConfig>): Promise<number> {
  const b = await Batcher.open({
    source: train(),
    tokenizer,
    batchSize,
    mode: 'pairs',
    maxDocLength: 64,
    maxCodeLength: 256,
    seed: 1,
    maxSteps: maxBatches,
    ...over,
  });
  let realTokens = 0;
  let paddedTokens = 0;
  let n = 0;
  t0 = performance.now();
  for await (const batch of b) {
    for (const t of [batch.docs, batch.code, ...(batch.joint ? [batch.joint] : [])]) {
      realTokens += real(t);
      paddedTokens += padded(t);
    }
    n++;
  }
  const s = (performance.now() - t0) / 1000;
  const rate = realTokens / s;
  console.log(
    `${label.padEnd(28)} ${n} batches of ${batchSize} in ${s.toFixed(2)} s: ${(n / s).toFixed(1)} batches/s, ` +
      `${(rate / 1000).toFixed(0)}k tokens/s (real), padding ${((1 - realTokens / paddedTokens) * 100).toFixed(0)}%, ` +
      `skipped ${b.skipStats.skipped}`,
  );
  return rate;
}

// Reading alone (gunzip, lines, JSON, records), and resuming: the replay to a saved position reads but never
// tokenizes the batches before it.
{
  t0 = performance.now();
  let n = 0;
  for await (const _ of train().records()) n++;
  const s = (performance.now() - t0) / 1000;
  console.log(`reading alone: ${n} records in ${s.toFixed(2)} s, ${(n / s / 1000).toFixed(1)}k records/s`);
  const opts = {
    source: train(),
    tokenizer,
    batchSize,
    mode: 'pairs',
    maxDocLength: 64,
    maxCodeLength: 256,
    seed: 1,
  } as const;
  const at = Math.floor(n / batchSize) - 1;
  t0 = performance.now();
  const resumed = await Batcher.open(opts, {
    epoch: 0,
    batchInEpoch: at,
    step: at,
    order: {
      seed: 1,
      batchSize,
      worldSize: 1,
      rank: 0,
      shuffle: true,
      shuffleBuffer: 4096,
      bucketPool: 0,
      maxRecords: null,
    },
  });
  await resumed.next();
  console.log(
    `resume at batch ${at} (the epoch's last): first batch after ${((performance.now() - t0) / 1000).toFixed(2)} s`,
  );
  await resumed.close();
}

await run('pairs', {});
await run('pairs, bucketing 8', { bucketPool: 8 });
await run('concat 256', { mode: 'concat', maxLength: 256 });
await run('concat 256, bucketing 8', { mode: 'concat', maxLength: 256, bucketPool: 8 });

// What a training step of the default model consumes: pairs objective on the same batches.
if (steps > 0)
  try {
    const precision = arg('precision', 'bf16') as 'bf16' | 'fp32';
    const threads = arg('threads', '');
    if (threads) process.env['SECORA_NUM_THREADS'] = threads;
    const encoder = await Encoder.create(
      defaultEncoderConfig({ vocabSize: tokenizer.vocabSize, padTokenId: tokenizer.special.pad }),
      { seed: 0, precision },
    );
    const b = await Batcher.open({
      source: train(),
      tokenizer,
      batchSize,
      mode: 'pairs',
      maxDocLength: 64,
      maxCodeLength: 256,
      seed: 1,
      maxSteps: steps + 1,
    });
    let tokens = 0;
    let seconds = 0;
    let i = 0;
    for await (const batch of b) {
      const start = performance.now();
      await encoder.trainStep({
        objective: 'pairs',
        a: batch.docs,
        b: batch.code,
        temperature: 0.05,
        lr: 1e-4,
      });
      // The first step warms up (allocations, oneDNN kernels): not counted.
      if (i++ > 0) {
        seconds += (performance.now() - start) / 1000;
        tokens += real(batch.docs) + real(batch.code);
      }
    }
    console.log(
      `training step (default model, ${precision}, CPU, pairs, batch ${batchSize}): ${(seconds / steps).toFixed(2)} s/step, ` +
        `${(tokens / seconds / 1000).toFixed(1)}k tokens/s consumed`,
    );
    await encoder.dispose();
  } catch (err) {
    console.log(`training step: not measured (${err instanceof Error ? err.message : err})`);
  }
