// GradCache's memory: one optimizer step over a contrastive batch of N = 512 pairs at the default model size,
// plain (all activations at once) against GradCache micro-batches of m = 16 and of m = 512, each in its own
// process so its peak resident memory (VmHWM) is its own.
//   npx tsc -p bench/encoder.tsconfig.json && node build/bench/bench/gradcache-memory.js
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultEncoderConfig } from '../src/model/config.js';
import { Encoder } from '../src/model/encoder.js';

const N = 512;
const DOC = 32;
const CODE = 128;

function peakMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function batch(rows: number, len: number, seed: number) {
  const inputIds = new Int32Array(rows * len);
  for (let i = 0; i < inputIds.length; i++) inputIds[i] = 5 + ((i * 2654435761 + seed) % 16000);
  return { inputIds, attentionMask: new Uint8Array(rows * len).fill(1), batchSize: rows, seqLen: len };
}

async function child(micro: number): Promise<void> {
  const enc = await Encoder.create(defaultEncoderConfig({ vocabSize: 16384 }), { precision: 'bf16' });
  const before = peakMiB();
  const t0 = performance.now();
  const r = await enc.trainStep({
    objective: 'pairs',
    a: batch(N, DOC, 1),
    b: batch(N, CODE, 2),
    temperature: 0.05,
    symmetric: true,
    microBatch: micro,
    lr: 1e-4,
  });
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ micro, loss: r.loss, seconds, baseMiB: before, peakMiB: peakMiB() }));
  await enc.dispose();
}

const arg = process.argv[2];
if (arg !== undefined) {
  await child(Number(arg));
} else {
  const self = fileURLToPath(import.meta.url);
  const rows = [0, 512, 16].map((m) =>
    JSON.parse(execFileSync(process.execPath, [self, String(m)], { encoding: 'utf8' })),
  );
  console.log(`N = ${N} pairs (${DOC} + ${CODE} tokens), default model (4 layers, hidden 256), bf16, CPU`);
  console.log('| micro-batch | loss | step (s) | peak RSS (MiB) | of which the step (MiB) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    const name = r.micro === 0 ? 'none (plain)' : String(r.micro);
    console.log(
      `| ${name} | ${r.loss.toFixed(6)} | ${r.seconds.toFixed(1)} | ${Math.round(r.peakMiB)} | ${Math.round(r.peakMiB - r.baseMiB)} |`,
    );
  }
}
