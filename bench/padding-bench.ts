// Padding: the default run's training step on real default-corpus batches (length-bucketed, padded to the
// longest row of each batch), with padding removed from the compute (the default) and computed padded, against
// the same shapes with every position a real token, alternating batch by batch; then embedding the batches'
// code rows both ways. Real tokens/s against full-batch tokens/s says how much compute padding costs.
//
//   npx tsc -p bench/encoder.tsconfig.json && node build/bench/bench/padding-bench.js [--steps 12] [--threads 2]
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TokenBatch } from '../src/data/token-batch.js';
import { arg } from './args.js';
import {
  DEFAULT_STEP,
  defaultRunBatches,
  median,
  range,
  realTokens as real,
  seconds,
} from './default-batches.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
process.env['SECORA_ADDON'] ??= join(repo, 'build-native', 'Release', 'secora.node');
process.env['SECORA_CACHE'] ??= join(repo, '.cache', 'secora');
const { native } = await import('../src/native.js');
const { Encoder, setPaddingRemoval } = await import('../src/model/encoder.js');

const steps = Number(arg('steps', '12'));
native().setNumThreads(Number(arg('threads', '2')));

const { config, batcher } = await defaultRunBatches(steps + 1);
const enc = await Encoder.create(config, { seed: 1, precision: 'bf16' });

/** The same shape with every position a real token (ids kept, padding replaced by a real id). */
const full = (t: TokenBatch): TokenBatch => ({
  batchSize: t.batchSize,
  seqLen: t.seqLen,
  inputIds: t.inputIds.map((id, i) => (t.attentionMask[i] ? id : 5)),
  attentionMask: new Uint8Array(t.attentionMask.length).fill(1),
});
const step = (a: TokenBatch, b: TokenBatch) => enc.trainStep({ ...DEFAULT_STEP, a, b });

const embedCode = (t: TokenBatch) => enc.embedTokens(t);

// Per batch, alternating (the order turns each batch): the real batch with padding removal on (the default),
// the same batch computed padded (removal off), and the same shapes with every position real. Then embedding
// the batch's code rows, on and off.
const time = { on: 0, off: 0, full: 0, embedOn: 0, embedOff: 0 };
const ratios: { train: number[]; embed: number[] } = { train: [], embed: [] };
let realTokens = 0;
let allTokens = 0;
let codeReal = 0;
let i = 0;
for await (const batch of batcher) {
  const a = full(batch.docs);
  const b = full(batch.code);
  const runs: [keyof typeof time, () => Promise<number>][] = [
    ['on', () => seconds(() => step(batch.docs, batch.code))],
    ['off', () => seconds(() => step(batch.docs, batch.code))],
    ['full', () => seconds(() => step(a, b))],
  ];
  const took: Partial<Record<keyof typeof time, number>> = {};
  for (let k = 0; k < runs.length; k++) {
    const [name, run] = runs[(k + i) % runs.length]!;
    setPaddingRemoval(name !== 'off');
    took[name] = await run();
  }
  for (const on of i % 2 === 0 ? [true, false] : [false, true]) {
    setPaddingRemoval(on);
    took[on ? 'embedOn' : 'embedOff'] = await seconds(() => embedCode(batch.code));
  }
  setPaddingRemoval(true);
  if (i++ === 0) continue; // warm-up
  for (const [k, v] of Object.entries(took)) time[k as keyof typeof time] += v!;
  ratios.train.push(took.off! / took.on!);
  ratios.embed.push(took.embedOff! / took.embedOn!);
  realTokens += real(batch.docs) + real(batch.code);
  codeReal += real(batch.code);
  allTokens += a.batchSize * a.seqLen + b.batchSize * b.seqLen;
}
const k = (tokens: number, s: number) => `${(tokens / s / 1e3).toFixed(1)}k`;
console.log(
  `padding-bench: default run's step, ${steps} real batches (bucketed), bf16, load average ${loadavg()[0]!.toFixed(1)}\n` +
    `padding ${(100 * (1 - realTokens / allTokens)).toFixed(0)} % of the positions computed\n` +
    `real batches, padding removed:  ${(time.on / steps).toFixed(2)} s/step, ${k(realTokens, time.on)} real tokens/s\n` +
    `real batches, computed padded: ${(time.off / steps).toFixed(2)} s/step, ${k(realTokens, time.off)} real tokens/s\n` +
    `same shapes, no padding:       ${(time.full / steps).toFixed(2)} s/step, ${k(allTokens, time.full)} tokens/s\n` +
    `training step, removed against padded: ${median(ratios.train).toFixed(2)}× median (${range(ratios.train)})\n` +
    `embedding the code rows: removed ${k(codeReal, time.embedOn)} real tokens/s, padded ${k(codeReal, time.embedOff)}; ` +
    `${median(ratios.embed).toFixed(2)}× median (${range(ratios.embed)})`,
);
await enc.dispose();
