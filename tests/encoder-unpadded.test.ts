// Padding taken out of the compute (bert_model.h, Unpadded): a padded batch that is pooled runs its
// position-wise work on the real tokens alone. Embeddings, the loss and every gradient equal the padded
// computation's, for both poolers and both position rules, in float64.
import { afterEach, describe, expect, it } from 'vitest';
import type { EncoderConfig } from '../src/model/config.js';
import { Encoder, setPaddingRemoval } from '../src/model/encoder.js';
import { maxAbsDiff, randomBatch, tinyConfig } from './encoder-helpers.js';

const exact = { dtype: 'float64' as const, seed: 3 };
const noDropout = { hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 };

/** Runs `fn` with padding removal on, then off; padding removal is left on (the default). */
async function onAndOff<T>(fn: () => Promise<T>): Promise<[T, T]> {
  setPaddingRemoval(true);
  const on = await fn();
  setPaddingRemoval(false);
  try {
    return [on, await fn()];
  } finally {
    setPaddingRemoval(true);
  }
}

afterEach(() => setPaddingRemoval(true));

const variants: [string, Partial<EncoderConfig>][] = [
  ['bert, mean pooling', { pooling: 'mean' }],
  ['bert, cls pooling (the last layer for position 0 alone)', { pooling: 'cls' }],
  ['roberta, mean pooling', { modelType: 'roberta', padTokenId: 1, pooling: 'mean' }],
];

describe('padding removal', () => {
  for (const [name, overrides] of variants) {
    it(`${name}: embeddings, loss and gradients equal the padded computation`, async () => {
      const config = tinyConfig({ ...noDropout, ...overrides });
      const enc = await Encoder.create(config, exact);
      const a = randomBatch(21, 6, 12, 64, config.padTokenId);
      const b = randomBatch(22, 6, 12, 64, config.padTokenId);
      // The batches really are padded, unevenly.
      const lengths = Array.from({ length: 6 }, (_, r) =>
        a.attentionMask.subarray(r * 12, (r + 1) * 12).reduce((n, m) => n + m, 0),
      );
      expect(new Set(lengths).size).toBeGreaterThan(2);
      expect(Math.min(...lengths)).toBeLessThan(12);

      const [embedOn, embedOff] = await onAndOff(() => enc.embedTokens(a));
      expect(maxAbsDiff(embedOn, embedOff)).toBeLessThan(1e-12);

      const step = () => enc.computeGradients({ objective: 'pairs', a, b, temperature: 0.05, lr: 0 });
      const grads = () => enc.parameterNames().map((n) => enc.getGradient(n)!);
      const [on, off] = await onAndOff(async () => ({ result: await step(), grads: grads() }));
      expect(on.result.loss).toBeCloseTo(off.result.loss, 12);
      on.grads.forEach((g, i) => {
        expect(maxAbsDiff(g, off.grads[i]!), enc.parameterNames()[i]).toBeLessThan(1e-12);
      });
      // Padding positions' word embeddings get no gradient either way.
      expect(on.grads.some((g) => g.some((v) => v !== 0))).toBe(true);
      await enc.dispose();
    });
  }

  it('trains with dropout on the real tokens: finite, the same for the same seed, masks drawn for them alone', async () => {
    const config = tinyConfig({ pooling: 'mean' });
    const a = randomBatch(23, 6, 12, 64, 0);
    const run = async () => {
      const enc = await Encoder.create(config, { seed: 5 });
      const r = await enc.trainStep({ objective: 'simcse', a, temperature: 0.05, lr: 1e-3 });
      const w = enc.getParameter(enc.parameterNames()[0]!);
      await enc.dispose();
      return { loss: r.loss, w };
    };
    const first = await run();
    const second = await run();
    expect(Number.isFinite(first.loss)).toBe(true);
    expect(second.loss).toBe(first.loss);
    expect(maxAbsDiff(first.w, second.w)).toBe(0);
    // The padded computation draws masks for every position: another draw, so another loss. (This is what
    // shows that the switch reaches the native forward; without dropout both give the same numbers.)
    setPaddingRemoval(false);
    const padded = await run();
    expect(Math.abs(padded.loss - first.loss)).toBeGreaterThan(1e-6);
  });
});
