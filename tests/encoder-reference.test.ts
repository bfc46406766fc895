// The C++ forward against an independent float64 TypeScript forward (tests/encoder-reference.ts), on a tiny
// BERT and a tiny RoBERTa whose every tensor is random (not the 1/0 LayerNorm of a fresh initialization).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EncoderConfig } from '../src/model/config.js';
import { Encoder } from '../src/model/encoder.js';
import { readSafetensors, toFloat64 } from '../src/safetensors.js';
import { maxAbsDiff, randomBatch, rng, tinyConfig } from './encoder-helpers.js';
import { erf, referenceEmbed, referenceForward, type Weights } from './encoder-reference.js';

async function randomized(config: EncoderConfig, seed: number): Promise<{ enc: Encoder; weights: Weights }> {
  const enc = await Encoder.create(config, { seed, dtype: 'float64' });
  const next = rng(seed);
  for (const name of enc.parameterNames()) {
    const values = enc
      .getParameter(name)
      .map(() => (next() - 0.5) * 0.8 + (name.endsWith('LayerNorm.weight') ? 1 : 0));
    enc.setParameter(name, values);
  }
  // The reference reads the weights back from the file the addon writes: the writer is checked too.
  const dir = mkdtempSync(join(tmpdir(), 'secora-reference-'));
  await enc.save(dir);
  const file = readSafetensors(join(dir, 'model.safetensors'));
  const weights: Weights = new Map([...file.tensors].map(([n, t]) => [n, toFloat64(t)]));
  return { enc, weights };
}

describe('erf of the reference', () => {
  it('matches known values', () => {
    expect(Math.abs(erf(0.5) - 0.5204998778130465)).toBeLessThan(1e-15);
    expect(Math.abs(erf(-1.5) + 0.9661051464753108)).toBeLessThan(1e-15);
    expect(Math.abs(erf(3) - 0.9999779095030014)).toBeLessThan(1e-15);
  });
});

describe.each([
  ['bert', tinyConfig({ pooling: 'cls_projection', embeddingSize: 8 })],
  [
    'roberta',
    tinyConfig({
      modelType: 'roberta',
      padTokenId: 1,
      typeVocabSize: 1,
      layerNormEps: 1e-5,
      pooling: 'mean',
    }),
  ],
] as const)('reference forward: %s', (model, config) => {
  it('agrees with the C++ forward and pooling in float64', async () => {
    const { enc, weights } = await randomized(config, model === 'bert' ? 31 : 32);
    const raw = randomBatch(8, 3, 9, config.vocabSize, config.padTokenId);
    const batch =
      config.typeVocabSize === 1 ? { ...raw, tokenTypeIds: new Int32Array(raw.inputIds.length) } : raw;
    const expected = referenceForward(config, weights, batch);
    const hidden = await enc.hiddenStates(batch);
    // Padding rows are computed too (they attend to the real tokens); compare every position.
    const dHidden = maxAbsDiff(hidden, expected);
    const dEmbed = maxAbsDiff(await enc.embedTokens(batch), referenceEmbed(config, weights, batch, expected));
    console.log(
      `reference ${model}: max |diff| hidden ${dHidden.toExponential(2)}, embedding ${dEmbed.toExponential(2)}`,
    );
    expect(dHidden).toBeLessThan(1e-10);
    expect(dEmbed).toBeLessThan(1e-6); // embeddings come back as float32
  });
});
