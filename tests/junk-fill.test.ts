// No kernel reads memory it did not write: with every new CPU tensor filled with a NaN pattern (libtorch's junk
// fill), embedding, hidden states and training steps give exactly what they give on ordinary memory. Such a read
// showed only now and then before (a NaN embedding of a short text, when the allocator handed back memory
// where a NaN had been); the junk fill makes it show every time.
import { afterAll, describe, expect, it } from 'vitest';
import type { TokenBatch } from '../src/data/token-batch.js';
import type { Pooling } from '../src/model/config.js';
import { Encoder, type EncoderOptions, setJunkFill } from '../src/model/encoder.js';
import { randomBatch, tinyConfig } from './encoder-helpers.js';

afterAll(() => setJunkFill(false));

/** Single unpadded rows of 1 to 6 tokens (the short queries), then a padded batch of three rows. */
function batches(): TokenBatch[] {
  const out: TokenBatch[] = [];
  for (let len = 1; len <= 6; len++) out.push(randomBatch(40 + len, 1, len, 64, 0, len));
  out.push(randomBatch(50, 3, 9, 64, 0, 2));
  return out;
}

interface Outcome {
  embeddings: Float32Array[];
  hidden: Float64Array[];
  losses: number[];
  after: Float32Array;
}

/** Everything an encoder computes for `batches()`, from a fresh encoder with the same seed each time. */
async function run(pooling: Pooling, options: EncoderOptions): Promise<Outcome> {
  const enc = await Encoder.create(tinyConfig({ pooling }), { seed: 9, ...options });
  const bs = batches();
  const embeddings: Float32Array[] = [];
  const hidden: Float64Array[] = [];
  for (const b of bs) embeddings.push(await enc.embedTokens(b));
  for (const b of bs.slice(0, 3)) hidden.push(await enc.hiddenStates(b));
  const losses: number[] = [];
  const padded = bs[bs.length - 1]!;
  losses.push((await enc.trainStep({ objective: 'simcse', a: padded, temperature: 0.05, lr: 1e-2 })).loss);
  // Pairs of short rows (queries of 2 tokens against code of 3), clipped, and GradCache's micro-batches.
  const q = randomBatch(60, 4, 2, 64, 0, 2);
  const c = randomBatch(61, 4, 3, 64, 0, 1);
  const pairs = { objective: 'pairs' as const, a: q, b: c, temperature: 0.05, lr: 1e-2 };
  losses.push((await enc.trainStep({ ...pairs, maxGradNorm: 1 })).loss);
  losses.push((await enc.trainStep({ ...pairs, microBatch: 2, symmetric: true })).loss);
  const after = await enc.embedTokens(padded);
  await enc.dispose();
  return { embeddings, hidden, losses, after };
}

const cases: [Pooling, EncoderOptions][] = [
  ['cls', {}],
  ['cls', { precision: 'bf16' }],
  ['mean', {}],
  ['mean', { precision: 'bf16' }],
];

describe('junk fill', () => {
  it.each(cases)(
    '%s pooling %o: the same results on NaN-filled memory as on ordinary memory',
    async (pooling, o) => {
      setJunkFill(false);
      const clean = await run(pooling, o);
      setJunkFill(true);
      const junk = await run(pooling, o);
      setJunkFill(false);
      for (const e of clean.embeddings) expect(e.every(Number.isFinite)).toBe(true);
      expect(clean.losses.every(Number.isFinite)).toBe(true);
      expect(junk).toEqual(clean);
    },
  );
});
