// The C++ encoder against Hugging Face transformers' own outputs (tests/fixtures/hf-parity, made by
// scripts/device/make-hf-parity.py): same checkpoint, same inputs, last_hidden_state at the real tokens.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TokenBatch } from '../src/data/token-batch.js';
import { Encoder } from '../src/model/encoder.js';
import { readSafetensors, toFloat64 } from '../src/safetensors.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'hf-parity');

function fixtureInputs(model: string): { batch: TokenBatch; expected: Float64Array; hidden: number } {
  const io = readSafetensors(join(fixtures, model, 'io.safetensors')).tensors;
  const ids = io.get('input_ids')!;
  const [batchSize, seqLen] = ids.shape as [number, number];
  const expected = io.get('last_hidden_state')!;
  return {
    batch: {
      inputIds: Int32Array.from(toFloat64(ids)),
      attentionMask: Uint8Array.from(toFloat64(io.get('attention_mask')!)),
      tokenTypeIds: Int32Array.from(toFloat64(io.get('token_type_ids')!)),
      batchSize,
      seqLen,
    },
    expected: toFloat64(expected),
    hidden: expected.shape[2]!,
  };
}

/** The largest absolute difference over the unmasked positions. */
function maxDiffAtRealTokens(a: Float64Array, b: Float64Array, mask: Uint8Array, hidden: number): number {
  let worst = 0;
  mask.forEach((m, pos) => {
    if (!m) return;
    for (let h = 0; h < hidden; h++) {
      worst = Math.max(worst, Math.abs(a[pos * hidden + h]! - b[pos * hidden + h]!));
    }
  });
  return worst;
}

describe.each(['bert', 'roberta'])('Hugging Face parity: %s', (model) => {
  it('matches last_hidden_state in float64 within 1e-10, and in float32 within 1e-4', async () => {
    const { batch, expected, hidden } = fixtureInputs(model);
    const f64 = await Encoder.load(join(fixtures, model), { dtype: 'float64' });
    const d64 = maxDiffAtRealTokens(await f64.hiddenStates(batch), expected, batch.attentionMask, hidden);
    const f32 = await Encoder.load(join(fixtures, model));
    const d32 = maxDiffAtRealTokens(await f32.hiddenStates(batch), expected, batch.attentionMask, hidden);
    console.log(
      `hf-parity ${model}: max |diff| float64 ${d64.toExponential(2)}, float32 ${d32.toExponential(2)}`,
    );
    expect(d64).toBeLessThan(1e-10);
    expect(d32).toBeLessThan(1e-4);
    // A check that can fail: the same weights without the padding mask differ from transformers.
    const unmasked = { ...batch, attentionMask: new Uint8Array(batch.attentionMask.length).fill(1) };
    const dUnmasked = maxDiffAtRealTokens(
      await f64.hiddenStates(unmasked),
      expected,
      batch.attentionMask,
      hidden,
    );
    expect(dUnmasked).toBeGreaterThan(1e-3);
    await f64.dispose();
    await f32.dispose();
  });
});
