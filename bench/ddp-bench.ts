// Data-parallel benchmark: one process against two on this machine (Gloo on 127.0.0.1), one thread each, the
// same per-process batch (so two processes train a global batch twice as large). Reports steps/s, tokens/s,
// the time each step spends in collectives (gradient all-reduce, the embedding all-gather and its backward,
// the step's agreement), and the scaling efficiency: tokens/s of two / (2 x tokens/s of one). The two set-ups
// alternate, several times, so a load that changes during the run touches both alike.
//
//   npx tsc -p bench/ddp.tsconfig.json && node build/bench/bench/ddp-bench.js [--trials 3] [--steps 6] \
//     [--batch 16] [--layers 2] [--hidden 128] [--gather true]
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { arg } from './args.js';

// Compiled to build/bench/bench/: the package's addon lives three folders up.
const here = fileURLToPath(import.meta.url);
const repo = resolve(dirname(here), '../../..');
process.env['SECORA_ADDON'] ??= join(repo, 'build-native', 'Release', 'secora.node');
const { native } = await import('../src/native.js');
const { Encoder } = await import('../src/model/encoder.js');
const { distEnvFrom } = await import('../src/parallel/env.js');
const { ProcessGroup } = await import('../src/parallel/process-group.js');
const { launch } = await import('../src/parallel/launcher.js');

const trials = Number(arg('trials', '3'));
const steps = Number(arg('steps', '6'));
const batchSize = Number(arg('batch', '16'));
const layers = Number(arg('layers', '2'));
const hidden = Number(arg('hidden', '128'));
const gather = arg('gather', 'true') === 'true';
const DOC = 32;
const CODE = 128;

interface WorkerReport {
  seconds: number;
  tokens: number;
  collectiveSeconds: number;
}

function batch(seed: number, rows: number, seqLen: number, vocab: number) {
  let s = seed >>> 0;
  const inputIds = new Int32Array(rows * seqLen).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 3 + (s % (vocab - 3));
  });
  return { inputIds, attentionMask: new Uint8Array(rows * seqLen).fill(1), batchSize: rows, seqLen };
}

/** One process: a warm-up step, then `steps` timed steps; rank 0 (or the only process) prints its report. */
async function worker(): Promise<void> {
  native().setNumThreads(1);
  const env = distEnvFrom();
  const vocab = 8192;
  const encoder = await Encoder.create(
    {
      modelType: 'roberta',
      vocabSize: vocab,
      hiddenSize: hidden,
      numHiddenLayers: layers,
      numAttentionHeads: Math.max(1, hidden / 64),
      intermediateSize: 4 * hidden,
      maxPositionEmbeddings: CODE + 2,
      typeVocabSize: 1,
      layerNormEps: 1e-5,
      hiddenDropoutProb: 0.1,
      attentionProbsDropoutProb: 0.1,
      padTokenId: 1,
      pooling: 'cls_projection',
      embeddingSize: hidden,
    },
    { seed: 1 },
  );
  const group = env ? await ProcessGroup.join(env, { backend: 'gloo', timeoutSeconds: 120 }) : null;
  if (group) await encoder.joinProcessGroup(group.native, { gatherNegatives: gather });
  const rank = env?.rank ?? 0;
  const step = (i: number) =>
    encoder.trainStep({
      objective: 'pairs',
      a: batch(1000 * rank + i, batchSize, DOC, vocab),
      b: batch(1000 * rank + i + 500, batchSize, CODE, vocab),
      temperature: 0.05,
      symmetric: true,
      lr: 1e-4,
      maxGradNorm: 1,
    });
  await step(0);
  const c0 = group?.collectiveSeconds ?? 0;
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) await step(i);
  const report: WorkerReport = {
    seconds: (performance.now() - t0) / 1000,
    tokens: steps * batchSize * (DOC + CODE),
    collectiveSeconds: (group?.collectiveSeconds ?? 0) - c0,
  };
  if (group) await group.barrier();
  if (rank === 0) process.stdout.write(`${JSON.stringify(report)}\n`);
  group?.close();
  await encoder.dispose();
}

async function runWith(nproc: number): Promise<WorkerReport> {
  let out = '';
  const sink = new Writable({
    write(chunk, _e, done) {
      out += chunk;
      done();
    },
  });
  const env = { ...process.env, SECORA_NUM_THREADS: '1', DDP_BENCH_WORKER: '1' };
  const r = await launch({
    nproc,
    command: process.execPath,
    args: [here, ...process.argv.slice(2)],
    env,
    stdout: sink,
    stderr: sink,
  });
  if (r.code !== 0) throw new Error(`ddp-bench: ${nproc} process(es) failed: ${r.message}\n${out}`);
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`ddp-bench: no report from rank 0\n${out}`);
  return JSON.parse(line) as WorkerReport;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function coordinator(): Promise<void> {
  console.log(
    `ddp-bench: roberta ${layers} layers, hidden ${hidden}; per process ${batchSize} pairs of ${DOC}+${CODE} tokens, ` +
      `symmetric InfoNCE, gather_negatives ${gather}; one thread per process; ${steps} steps x ${trials} trials; ` +
      `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)} at the start`,
  );
  const rows: Record<number, { sps: number[]; tps: number[]; coll: number[] }> = {
    1: { sps: [], tps: [], coll: [] },
    2: { sps: [], tps: [], coll: [] },
  };
  for (let t = 0; t < trials; t++) {
    for (const n of t % 2 === 0 ? [1, 2] : [2, 1]) {
      const r = await runWith(n);
      rows[n]!.sps.push(steps / r.seconds);
      rows[n]!.tps.push((n * r.tokens) / r.seconds);
      rows[n]!.coll.push((1000 * r.collectiveSeconds) / steps);
      console.log(
        `  trial ${t + 1}, ${n} process(es): ${(steps / r.seconds).toFixed(2)} steps/s, ` +
          `${Math.round((n * r.tokens) / r.seconds)} tokens/s, ${((1000 * r.collectiveSeconds) / steps).toFixed(1)} ms/step in collectives`,
      );
    }
  }
  const one = rows[1]!;
  const two = rows[2]!;
  console.log('| processes | steps/s | tokens/s (all processes) | collectives ms/step (rank 0) |');
  console.log('|---|---|---|---|');
  for (const [n, r] of [
    [1, one],
    [2, two],
  ] as const) {
    console.log(
      `| ${n} | ${median(r.sps).toFixed(2)} | ${Math.round(median(r.tps))} | ${median(r.coll).toFixed(1)} |`,
    );
  }
  const efficiency = two.tps.map((v, i) => v / (2 * one.tps[i]!));
  console.log(
    `scaling efficiency (tokens/s of 2 / (2 x tokens/s of 1), per trial pair): ${efficiency.map((e) => e.toFixed(2)).join(', ')}; median ${median(efficiency).toFixed(2)}`,
  );
  console.log(`load average at the end ${loadavg()[0]!.toFixed(1)}`);
}

if (process.env['DDP_BENCH_WORKER']) await worker();
else await coordinator();
