// Encoder benchmark: training-step and embed throughput (tokens/s) of the default model on this machine's CPU,
// fp32 and bf16, beside the matmul rate measured in the same process, so the fraction of the hardware used
// is visible.
//
//   npx tsc -p bench/encoder.tsconfig.json && node build/bench/bench/encoder-bench.js \
//     [--threads 2] [--batch 32] [--seq 128] [--steps 5] [--embed-batch 64] [--precision fp32,bf16]
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg } from './args.js';

// Compiled to build/bench/bench/: the package's addon lives three folders up.
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
process.env['SECORA_ADDON'] ??= join(repo, 'build-native', 'Release', 'secora.node');
const { native } = await import('../src/native.js');
const { Encoder } = await import('../src/model/encoder.js');
const { defaultEncoderConfig } = await import('../src/model/config.js');

const threads = Number(arg('threads', '2'));
const batchSize = Number(arg('batch', '32'));
const seqLen = Number(arg('seq', '128'));
const steps = Number(arg('steps', '5'));
const embedBatch = Number(arg('embed-batch', '64'));
const precisions = arg('precision', 'fp32,bf16').split(',') as ('fp32' | 'bf16')[];

const addon = native();
addon.setNumThreads(threads);
const config = defaultEncoderConfig();

/** Random ids, every position a real token (no padding: tokens/s counts what is computed). */
function batch(seed: number, rows: number) {
  let s = seed >>> 0;
  const inputIds = new Int32Array(rows * seqLen).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 3 + (s % (config.vocabSize - 3));
  });
  return { inputIds, attentionMask: new Uint8Array(rows * seqLen).fill(1), batchSize: rows, seqLen };
}

// Model FLOPs per token of one forward pass: the matmuls (2 per weight) and the attention products.
const { hiddenSize: h, intermediateSize: inner, numHiddenLayers: layers } = config;
const forwardFlops = layers * (2 * (4 * h * h + 2 * h * inner) + 4 * seqLen * h);
const trainFlops = 3 * forwardFlops; // backward is about twice the forward

console.log(
  `encoder-bench: ${config.modelType} ${layers} layers, hidden ${h}, heads ${config.numAttentionHeads}, ` +
    `intermediate ${inner}, vocab ${config.vocabSize}; batch ${batchSize}x${seqLen}, ${threads} threads, ` +
    `libtorch ${addon.buildInfo().torchVersion}, load average ${loadavg()[0]!.toFixed(1)}`,
);
for (const precision of precisions) {
  const dtype = precision === 'bf16' ? 'bf16' : 'fp32';
  const matmul = addon.matmulRate({ size: 2048, dtype, iterations: 5 });
  const enc = await Encoder.create(config, { seed: 1, precision });
  const a = batch(1, batchSize);
  await enc.trainStep({ objective: 'simcse', a, temperature: 0.05, lr: 1e-4 }); // warm-up
  let t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    await enc.trainStep({ objective: 'simcse', a: batch(2 + i, batchSize), temperature: 0.05, lr: 1e-4 });
  }
  const stepSeconds = (performance.now() - t0) / 1000 / steps;
  const trainTokens = (2 * batchSize * seqLen) / stepSeconds; // SimCSE encodes the batch twice
  const e = batch(100, embedBatch);
  await enc.embedTokens(e);
  t0 = performance.now();
  for (let i = 0; i < steps; i++) await enc.embedTokens(e);
  const embedTokens = (embedBatch * seqLen * steps) / ((performance.now() - t0) / 1000);
  const trainGflops = (trainTokens * trainFlops) / 1e9;
  const embedGflops = (embedTokens * forwardFlops) / 1e9;
  console.log(
    `${precision}: matmul 2048² ${matmul.toFixed(0)} GFLOP/s | train step ${stepSeconds.toFixed(2)} s, ` +
      `${(trainTokens / 1e3).toFixed(2)}k tokens/s, ${trainGflops.toFixed(1)} GFLOP/s ` +
      `(${((100 * trainGflops) / matmul).toFixed(0)} % of matmul) | embed ${(embedTokens / 1e3).toFixed(2)}k tokens/s, ` +
      `${embedGflops.toFixed(1)} GFLOP/s (${((100 * embedGflops) / matmul).toFixed(0)} %)`,
  );
  await enc.dispose();
}
