// Gradients of the contrastive loss against central finite differences, in float64 on a tiny model.
import { describe, expect, it } from 'vitest';
import type { EncoderConfig } from '../src/model/config.js';
import { Encoder, type TrainStepArgs } from '../src/model/encoder.js';
import { randomBatch, rng, tinyConfig } from './encoder-helpers.js';

async function lossAt(enc: Encoder, args: TrainStepArgs, state?: Uint8Array): Promise<number> {
  if (state) enc.setRngState(state);
  return (await enc.computeGradients(args)).loss;
}

/** The worst relative error of analytic against numeric gradients over a few entries of every tensor. */
async function worstRelativeError(
  enc: Encoder,
  args: TrainStepArgs,
  entriesPerTensor: number,
  withRng = false,
) {
  const state = withRng ? enc.getRngState() : undefined;
  if (state) enc.setRngState(state);
  await enc.computeGradients(args);
  const grads = new Map(enc.parameterNames().map((n) => [n, enc.getGradient(n)!]));
  const pick = rng(17);
  const h = 1e-6;
  let worst = 0;
  let checked = 0;
  for (const [name, grad] of grads) {
    const values = enc.getParameter(name);
    // Favour entries with a gradient (rows of unused token ids have none).
    const candidates = [...grad.keys()].filter((i) => Math.abs(grad[i]!) > 1e-6);
    for (let k = 0; k < entriesPerTensor && candidates.length > 0; k++) {
      const i = candidates[Math.floor(pick() * candidates.length)]!;
      const original = values[i]!;
      values[i] = original + h;
      enc.setParameter(name, values);
      const up = await lossAt(enc, args, state);
      values[i] = original - h;
      enc.setParameter(name, values);
      const down = await lossAt(enc, args, state);
      values[i] = original;
      enc.setParameter(name, values);
      const numeric = (up - down) / (2 * h);
      // Relative, with a floor for tiny gradients where the difference quotient's rounding (~1e-10) dominates.
      const error = Math.abs(numeric - grad[i]!) / Math.max(1e-4, Math.abs(grad[i]!));
      worst = Math.max(worst, error);
      checked++;
    }
  }
  return { worst, checked };
}

const noDropout: Partial<EncoderConfig> = { hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 };

describe('gradients against finite differences (float64)', () => {
  it.each([
    [
      'bert, cls_projection, pairs, symmetric',
      { pooling: 'cls_projection', embeddingSize: 8 },
      'pairs',
      true,
    ],
    [
      'roberta, mean, pairs',
      { modelType: 'roberta', padTokenId: 1, typeVocabSize: 1, pooling: 'mean' },
      'pairs',
      false,
    ],
    ['bert, cls, simcse', { pooling: 'cls' }, 'simcse', false],
  ] as const)('%s', async (_label, overrides, objective, symmetric) => {
    const config = tinyConfig({ ...noDropout, ...overrides });
    const enc = await Encoder.create(config, { seed: 13, dtype: 'float64' });
    const pad = config.padTokenId;
    const withTypes = (seed: number) => {
      const b = randomBatch(seed, 4, 7, 64, pad);
      return config.typeVocabSize === 1 ? { ...b, tokenTypeIds: new Int32Array(b.inputIds.length) } : b;
    };
    const args: TrainStepArgs = {
      objective,
      a: withTypes(1),
      ...(objective === 'pairs' ? { b: withTypes(2) } : {}),
      temperature: 0.5,
      symmetric,
      lr: 0,
    };
    const { worst, checked } = await worstRelativeError(enc, args, 2);
    console.log(
      `finite differences ${_label}: ${checked} entries, worst relative error ${worst.toExponential(2)}`,
    );
    expect(checked).toBeGreaterThan(30);
    expect(worst).toBeLessThan(1e-5);
  });

  it('GradCache with dropout: its gradients are those of the loss it reports (same masks on re-forward)', async () => {
    const config = tinyConfig({ hiddenDropoutProb: 0.2, attentionProbsDropoutProb: 0.2, pooling: 'mean' });
    const enc = await Encoder.create(config, { seed: 3, dtype: 'float64' });
    const args: TrainStepArgs = {
      objective: 'simcse',
      a: randomBatch(5, 6, 8, 64, 0),
      temperature: 0.5,
      lr: 0,
      microBatch: 4,
    };
    const { worst, checked } = await worstRelativeError(enc, args, 1, true);
    console.log(
      `finite differences GradCache + dropout: ${checked} entries, worst ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThan(1e-5);
  });
});
