// secora against the PyTorch peer (bench/peer/peer.py), alternating in one run: a round of secora, then the
// same round of the peer, many times, so that the load of a shared machine falls on both alike. Prints each
// side's median tokens/s and the ratio; also the default run's step rate beside the bf16 matmul rate measured
// in the same process, and the dropout mask beside libtorch's.
//
//   npx tsc -p bench/encoder.tsconfig.json && node build/bench/bench/peer-bench.js \
//     [--threads 2] [--precision bf16] [--rounds 8] [--steps 2] [--batch 32] [--seq 128] [--embed-batch 64] \
//     [--embed-rounds 4] [--peer-embed autocast|bf16-weights] [--default-steps 0]
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { arg } from './args.js';
import { DEFAULT_STEP } from './default-batches.js';

// Compiled to build/bench/bench/: the package's addon and the peer's script live three folders up.
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
process.env['SECORA_ADDON'] ??= join(repo, 'build-native', 'Release', 'secora.node');
const { native } = await import('../src/native.js');
const { Encoder } = await import('../src/model/encoder.js');
const { defaultEncoderConfig } = await import('../src/model/config.js');

const threads = Number(arg('threads', '2'));
const precision = arg('precision', 'bf16') as 'fp32' | 'bf16';
const rounds = Number(arg('rounds', '8'));
const steps = Number(arg('steps', '2'));
const batchSize = Number(arg('batch', '32'));
const seqLen = Number(arg('seq', '128'));
const embedBatch = Number(arg('embed-batch', '64'));
const embedRounds = Number(arg('embed-rounds', '4'));
const peerEmbed = arg('peer-embed', 'autocast');
const defaultSteps = Number(arg('default-steps', '0'));
const python = arg('python', '/usr/bin/python3');

const addon = native();
addon.setNumThreads(threads);
const config = defaultEncoderConfig();

/** Random ids, every position a real token (no padding), as the peer draws them. */
function batch(seed: number, rows: number, cols: number) {
  let s = seed >>> 0;
  const inputIds = new Int32Array(rows * cols).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 3 + (s % (config.vocabSize - 3));
  });
  return { inputIds, attentionMask: new Uint8Array(rows * cols).fill(1), batchSize: rows, seqLen: cols };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

/** The peer: a long-lived python process that answers one timed round per command line. */
async function startPeer() {
  const child = spawn(
    python,
    [
      join(repo, 'bench/peer/peer.py'),
      '--threads',
      String(threads),
      '--precision',
      precision,
      '--embed',
      peerEmbed,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done)
      throw new Error('the peer exited (is python3-torch installed? apt-get install -y python3-torch)');
    return JSON.parse(value as string) as Record<string, number | string | boolean>;
  };
  const hello = await next();
  return {
    hello,
    async round(cmd: string): Promise<number> {
      child.stdin!.write(`${cmd}\n`);
      return Number((await next())['seconds']);
    },
    quit() {
      child.stdin!.end('quit\n');
    },
  };
}

const peer = await startPeer();
console.log(
  `peer-bench: ${config.modelType} ${config.numHiddenLayers} layers, hidden ${config.hiddenSize}, heads ` +
    `${config.numAttentionHeads}, intermediate ${config.intermediateSize}; SimCSE ${batchSize}x${seqLen}, embed ` +
    `${embedBatch}x${seqLen}; ${precision}, ${threads} threads; secora libtorch ${addon.buildInfo().torchVersion}, ` +
    `peer torch ${peer.hello['torch']} (embed: ${peerEmbed}); load average ${loadavg()[0]!.toFixed(1)}`,
);

const enc = await Encoder.create(config, { seed: 1, precision });
const trainArgs = (i: number) => ({
  objective: 'simcse' as const,
  a: batch(1000 + i, batchSize, seqLen),
  temperature: 0.05,
  lr: 1e-4,
  maxGradNorm: 1.0,
});
await enc.trainStep(trainArgs(0)); // warm-up of both sides
await peer.round(`train 1 ${batchSize} ${seqLen}`);
const embedInput = batch(7, embedBatch, seqLen);
await enc.embedTokens(embedInput);
await peer.round(`embed 1 ${embedBatch} ${seqLen}`);

const times = {
  secoraTrain: [] as number[],
  peerTrain: [] as number[],
  secoraEmbed: [] as number[],
  peerEmbed: [] as number[],
};
const trainRatios: number[] = [];
const embedRatios: number[] = [];
for (let r = 0; r < rounds; r++) {
  let t0 = performance.now();
  for (let i = 0; i < steps; i++) await enc.trainStep(trainArgs(i));
  const s = (performance.now() - t0) / 1000;
  const p = await peer.round(`train ${steps} ${batchSize} ${seqLen}`);
  times.secoraTrain.push(s);
  times.peerTrain.push(p);
  trainRatios.push(p / s);
  t0 = performance.now();
  for (let i = 0; i < embedRounds; i++) await enc.embedTokens(embedInput);
  const se = (performance.now() - t0) / 1000;
  const pe = await peer.round(`embed ${embedRounds} ${embedBatch} ${seqLen}`);
  times.secoraEmbed.push(se);
  times.peerEmbed.push(pe);
  embedRatios.push(pe / se);
  console.log(
    `round ${r + 1}/${rounds}: train secora ${s.toFixed(2)} s, peer ${p.toFixed(2)} s (${(p / s).toFixed(2)}x); ` +
      `embed secora ${se.toFixed(2)} s, peer ${pe.toFixed(2)} s (${(pe / se).toFixed(2)}x); load ${loadavg()[0]!.toFixed(1)}`,
  );
}
peer.quit();
await enc.dispose();

const trainTokens = steps * 2 * batchSize * seqLen; // SimCSE encodes the batch twice
const embedTokens = embedRounds * embedBatch * seqLen;
const k = (x: number) => `${(x / 1e3).toFixed(1)}k`;
console.log('\n| what | secora tokens/s | peer tokens/s | ratio (median of rounds) | ratio range |');
console.log('|---|---|---|---|---|');
console.log(
  `| training step, SimCSE ${batchSize}×${seqLen} | ${k(trainTokens / median(times.secoraTrain))} | ` +
    `${k(trainTokens / median(times.peerTrain))} | ${median(trainRatios).toFixed(2)}× | ` +
    `${Math.min(...trainRatios).toFixed(2)}–${Math.max(...trainRatios).toFixed(2)} |`,
);
console.log(
  `| embedding ${embedBatch}×${seqLen} | ${k(embedTokens / median(times.secoraEmbed))} | ` +
    `${k(embedTokens / median(times.peerEmbed))} | ${median(embedRatios).toFixed(2)}× | ` +
    `${Math.min(...embedRatios).toFixed(2)}–${Math.max(...embedRatios).toFixed(2)} |`,
);

if (defaultSteps > 0) {
  // The default run's step (configs/default.yml: 2 layers, mean pooling, pairs of 64 query + 128 code tokens,
  // batch 64, symmetric, clipping 1.0) on unpadded batches, beside the bf16 matmul rate, alternating.
  const d = defaultEncoderConfig({ numHiddenLayers: 2, pooling: 'mean', maxPositionEmbeddings: 130 });
  const dEnc = await Encoder.create(d, { seed: 1, precision });
  const step = (i: number) =>
    dEnc.trainStep({ ...DEFAULT_STEP, a: batch(10 + i, 64, 64), b: batch(500 + i, 64, 128) });
  await step(0);
  const { hiddenSize: h, intermediateSize: inner, numHiddenLayers: layers } = d;
  const flopsPerToken = (s: number) => 3 * layers * (2 * (4 * h * h + 2 * h * inner) + 4 * s * h);
  const stepFlops = 64 * 64 * flopsPerToken(64) + 64 * 128 * flopsPerToken(128);
  const fractions: number[] = [];
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const matmul = addon.matmulRate({
      size: 2048,
      dtype: precision === 'bf16' ? 'bf16' : 'fp32',
      iterations: 3,
    });
    const t0 = performance.now();
    for (let i = 0; i < defaultSteps; i++) await step(i);
    const seconds = (performance.now() - t0) / 1000 / defaultSteps;
    rates.push(1 / seconds);
    fractions.push(stepFlops / seconds / 1e9 / matmul);
  }
  await dEnc.dispose();
  console.log(
    `\ndefault run's step (2 layers, pairs 64×(64+128), ${precision}): ${median(rates).toFixed(2)} steps/s ` +
      `(${Math.min(...rates).toFixed(2)}–${Math.max(...rates).toFixed(2)}), ` +
      `${(100 * median(fractions)).toFixed(0)} % of the matmul rate measured beside it ` +
      `(${(100 * Math.min(...fractions)).toFixed(0)}–${(100 * Math.max(...fractions)).toFixed(0)} %)`,
  );
}

// Dropout masks: secora's (native/dropout.h) against libtorch's bernoulli_ for one attention-probability mask of
// the SimCSE batch (32 rows × 4 heads × 128 × 128), alternating, median of 9.
{
  const size = batchSize * config.numAttentionHeads * seqLen * seqLen;
  const m = addon.dropoutMask({ size, p: 0.1, rounds: 9 });
  console.log(
    `dropout mask of ${size} entries: secora ${(m.seconds * 1e3).toFixed(2)} ms, libtorch's bernoulli_ ` +
      `${(m.bernoulliSeconds * 1e3).toFixed(2)} ms (${(m.bernoulliSeconds / m.seconds).toFixed(1)}×)`,
  );
}
