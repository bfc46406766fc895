// The fast paths give the full computation's results: attention with no mask when no row is padded, the last
// layer run for position 0 alone under CLS pooling, and the bf16 copy of the weights that embedding uses,
// refreshed whenever the weights change.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TokenBatch } from '../src/data/token-batch.js';
import { Encoder } from '../src/model/encoder.js';
import { maxAbsDiff, randomBatch, tinyConfig } from './encoder-helpers.js';

const exact = { dtype: 'float64' as const };

/** Rows `from` to `to` (exclusive) of a batch. */
function rows(b: TokenBatch, from: number, to: number): TokenBatch {
  const s = b.seqLen;
  return {
    batchSize: to - from,
    seqLen: s,
    inputIds: b.inputIds.slice(from * s, to * s),
    attentionMask: b.attentionMask.slice(from * s, to * s),
    ...(b.tokenTypeIds ? { tokenTypeIds: b.tokenTypeIds.slice(from * s, to * s) } : {}),
  };
}

/** A batch whose first row is full length and whose second row is padded. */
function mixed(): TokenBatch {
  const b = randomBatch(11, 2, 10, 64, 0, 10);
  for (let i = 4; i < 10; i++) {
    b.inputIds[10 + i] = 0;
    b.attentionMask[10 + i] = 0;
  }
  return b;
}

describe('fast paths', () => {
  it('a row alone (no padding, no mask) has the hidden states it has beside a padded row (masked)', async () => {
    const enc = await Encoder.create(tinyConfig(), { seed: 3, ...exact });
    const b = mixed();
    const together = await enc.hiddenStates(b);
    const alone = await enc.hiddenStates(rows(b, 0, 1));
    expect(maxAbsDiff(together.slice(0, alone.length), alone)).toBeLessThan(1e-12);
    // The padded row really is masked: its hidden states change when the padding is attended to.
    const unmasked = { ...b, attentionMask: new Uint8Array(20).fill(1) };
    const open = await enc.hiddenStates(unmasked);
    expect(maxAbsDiff(together.slice(alone.length), open.slice(alone.length))).toBeGreaterThan(1e-6);
    await enc.dispose();
  });

  for (const pooling of ['cls', 'cls_projection'] as const) {
    it(`${pooling}: embedding runs the last layer for position 0 alone, with the full forward's result`, async () => {
      const config = tinyConfig({ pooling, embeddingSize: pooling === 'cls' ? 16 : 8 });
      const enc = await Encoder.create(config, { seed: 4, ...exact });
      const b = mixed();
      const hidden = await enc.hiddenStates(b);
      const embedded = await enc.embedTokens(b);
      if (pooling === 'cls') {
        for (let r = 0; r < 2; r++) {
          const first = hidden.slice(r * 10 * 16, r * 10 * 16 + 16);
          const norm = Math.hypot(...first);
          const want = [...first].map((x) => x / norm);
          expect(maxAbsDiff(embedded.slice(r * 16, r * 16 + 16), want)).toBeLessThan(1e-6);
        }
      }
      // The gradient step with the shortened last layer equals GradCache's (which re-runs it per micro-batch)
      // and moves the loss like the full model does: checked by encoder-gradients against finite differences.
      const r = await enc.computeGradients({ objective: 'simcse', a: b, temperature: 0.1, lr: 0 });
      expect(r.gradNorm).toBeGreaterThan(0);
      expect(enc.getGradient('encoder.layer.1.output.dense.weight')!.some((x) => x !== 0)).toBe(true);
      await enc.dispose();
    });
  }

  it('bf16 embedding uses a weight copy, refreshed after a step and after setParameter', async () => {
    const config = tinyConfig({ hiddenSize: 32, intermediateSize: 64, pooling: 'mean' });
    const enc = await Encoder.create(config, { seed: 5, precision: 'bf16' });
    const b = randomBatch(12, 4, 10, 64, 0);
    const before = await enc.embedTokens(b);
    expect(await enc.embedTokens(b)).toEqual(before); // the cached copy, unchanged
    await enc.trainStep({ objective: 'simcse', a: b, temperature: 0.05, lr: 1e-2 });
    const after = await enc.embedTokens(b);
    expect(maxAbsDiff(after, before)).toBeGreaterThan(1e-3);
    // A fresh encoder with the trained weights (a new copy) embeds exactly the same.
    const dir = mkdtempSync(join(tmpdir(), 'secora-fast-'));
    await enc.save(dir);
    const loaded = await Encoder.load(dir, { precision: 'bf16' });
    expect(await loaded.embedTokens(b)).toEqual(after);
    const name = 'encoder.layer.0.output.dense.weight';
    enc.setParameter(name, new Float64Array(enc.getParameter(name).length));
    const zeroed = await enc.embedTokens(b);
    expect(maxAbsDiff(zeroed, after)).toBeGreaterThan(1e-3);
    rmSync(dir, { recursive: true, force: true });
    for (const e of [enc, loaded]) await e.dispose();
  });
});
