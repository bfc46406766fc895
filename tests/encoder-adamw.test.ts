// The fused AdamW over the flat parameter buffer against AdamW written out here in float64, per parameter:
// the moments, bias corrections, decoupled weight decay (not on biases and LayerNorm) and gradient clipping.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Encoder } from '../src/model/encoder.js';
import { readSafetensors } from '../src/safetensors.js';
import { randomBatch, tinyConfig } from './encoder-helpers.js';

const noDropout = tinyConfig({ hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 });
const settings = { weightDecay: 0.1, betas: [0.8, 0.95] as [number, number], eps: 1e-6 };

/** One AdamW step from zero moments (step 1), as torch.optim.AdamW, on one parameter. */
function adamwFirstStep(p: Float64Array, g: Float64Array, lr: number, decay: boolean): Float64Array {
  const [b1, b2] = settings.betas;
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const m = (1 - b1) * g[i]!;
    const v = (1 - b2) * g[i]! * g[i]!;
    const decayed = decay ? p[i]! * (1 - lr * settings.weightDecay) : p[i]!;
    out[i] = decayed - (lr / (1 - b1)) * (m / (Math.sqrt(v) / Math.sqrt(1 - b2) + settings.eps));
  }
  return out;
}

describe('fused AdamW over the flat buffer', () => {
  it('equals AdamW written out per parameter (float64), with clipping and no decay on biases/LayerNorm', async () => {
    const enc = await Encoder.create(noDropout, { seed: 5, dtype: 'float64', optimizer: settings });
    const a = randomBatch(3, 6, 9, 64, 0);
    const args = { objective: 'simcse' as const, a, temperature: 0.05, lr: 1e-2, maxGradNorm: 0.05 };
    const names = enc.parameterNames();
    const before = new Map(names.map((n) => [n, enc.getParameter(n)]));
    const probe = await enc.computeGradients(args);
    const grads = new Map(names.map((n) => [n, enc.getGradient(n)!]));
    // The reported norm is the norm before clipping; the gradients left behind are clipped to maxGradNorm.
    let squares = 0;
    for (const g of grads.values()) for (const x of g) squares += x * x;
    expect(probe.gradNorm).toBeGreaterThan(args.maxGradNorm);
    expect(Math.sqrt(squares)).toBeCloseTo(args.maxGradNorm, 6);
    const r = await enc.trainStep(args);
    expect(r.gradNorm).toBeCloseTo(probe.gradNorm, 10);
    let decayed = 0;
    for (const name of names) {
      const decay = !name.endsWith('.bias') && !name.includes('LayerNorm');
      if (decay) decayed++;
      const want = adamwFirstStep(before.get(name)!, grads.get(name)!, args.lr, decay);
      const got = enc.getParameter(name);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      expect(worst, name).toBeLessThan(1e-12);
    }
    expect(decayed).toBeGreaterThan(0);
    expect(decayed).toBeLessThan(names.length);
    // After an applied step no gradient is left on the parameters.
    expect(enc.getGradient(names[0]!)).toBeNull();
    await enc.dispose();
  });

  it("saves zero moments before the first step and the step's moments after it", async () => {
    const enc = await Encoder.create(noDropout, { seed: 6 });
    const dir = mkdtempSync(join(tmpdir(), 'secora-adamw-'));
    const name = 'exp_avg.encoder.layer.1.output.dense.weight';
    await enc.saveOptimizer(join(dir, 'before.safetensors'));
    const before = readSafetensors(join(dir, 'before.safetensors'));
    expect(Number((before.tensors.get('step')!.data as BigInt64Array)[0])).toBe(0);
    expect(before.tensors.get(name)!.shape).toEqual([16, 24]);
    expect([...(before.tensors.get(name)!.data as Float32Array)].every((x) => x === 0)).toBe(true);
    await enc.trainStep({ objective: 'simcse', a: randomBatch(4, 5, 8, 64, 0), temperature: 0.05, lr: 1e-3 });
    await enc.saveOptimizer(join(dir, 'after.safetensors'));
    const after = readSafetensors(join(dir, 'after.safetensors'));
    expect(Number((after.tensors.get('step')!.data as BigInt64Array)[0])).toBe(1);
    expect([...(after.tensors.get(name)!.data as Float32Array)].some((x) => x !== 0)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
    await enc.dispose();
  });
});
