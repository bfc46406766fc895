// Training steps: InfoNCE (pairs and SimCSE), AdamW, clipping, GradCache, mixed precision, the call queue.
import { describe, expect, it } from 'vitest';
import { Encoder } from '../src/model/encoder.js';
import { native } from '../src/native.js';
import { maxAbsDiff, randomBatch, retrievalBatch, tinyConfig } from './encoder-helpers.js';

describe('Encoder.trainStep', () => {
  it('lowers the loss on a small synthetic retrieval task (pairs, symmetric)', async () => {
    const config = tinyConfig({ hiddenSize: 32, intermediateSize: 64, pooling: 'mean' });
    const enc = await Encoder.create(config, { seed: 3 });
    const losses: number[] = [];
    const accuracies: number[] = [];
    for (let step = 0; step < 60; step++) {
      const { a, b } = retrievalBatch(step, 16);
      const r = await enc.trainStep({
        objective: 'pairs',
        a,
        b,
        temperature: 0.1,
        symmetric: true,
        lr: 3e-3,
      });
      losses.push(r.loss);
      accuracies.push(r.accuracy);
      expect(r.gradNorm).toBeGreaterThan(0);
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const first = mean(losses.slice(0, 5));
    const last = mean(losses.slice(-5));
    console.log(
      `retrieval: loss ${first.toFixed(3)} -> ${last.toFixed(3)}, accuracy -> ${mean(accuracies.slice(-5))}`,
    );
    expect(first).toBeGreaterThan(2.0); // ln 16 = 2.77: chance level at the start
    expect(last).toBeLessThan(first * 0.5);
    expect(mean(accuracies.slice(-5))).toBeGreaterThan(0.8);
    // Held out: pairs never seen in training still match better than chance.
    const { a, b } = retrievalBatch(1000, 16);
    const r = await enc.computeGradients({ objective: 'pairs', a, b, temperature: 0.1, lr: 0 });
    expect(r.accuracy).toBeGreaterThan(0.3);
    await enc.dispose();
  });

  it('runs SimCSE (one batch encoded twice under dropout) and clips the gradient norm', async () => {
    const enc = await Encoder.create(tinyConfig(), { seed: 1 });
    const a = randomBatch(7, 8, 10, 64, 0);
    const r = await enc.trainStep({ objective: 'simcse', a, temperature: 0.05, lr: 1e-3, maxGradNorm: 0.5 });
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.accuracy).toBeLessThanOrEqual(1);
    expect(r.lossScale).toBeUndefined();
    // With dropout the two views differ, so the loss is not the no-dropout loss of identical views (higher or
    // lower depends on the draw: dropout also moves the negatives).
    const noDropout = await Encoder.create(
      tinyConfig({ hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 }),
      {
        seed: 1,
      },
    );
    const same = await noDropout.computeGradients({ objective: 'simcse', a, temperature: 0.05, lr: 0 });
    expect(same.accuracy).toBe(1);
    expect(Math.abs(r.loss - same.loss)).toBeGreaterThan(1e-3);
    await enc.dispose();
    await noDropout.dispose();
  });

  it('GradCache gives the same step as the plain one (float64, no dropout), with uneven micro-batches', async () => {
    const config = tinyConfig({ hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, pooling: 'mean' });
    const plain = await Encoder.create(config, { seed: 5, dtype: 'float64' });
    const cached = await Encoder.create(config, { seed: 5, dtype: 'float64' });
    const a = randomBatch(11, 10, 9, 64, 0);
    const b = randomBatch(12, 10, 9, 64, 0);
    const args = {
      objective: 'pairs' as const,
      a,
      b,
      temperature: 0.07,
      symmetric: true,
      lr: 1e-2,
      maxGradNorm: 1,
    };
    const r1 = await plain.trainStep(args);
    const r2 = await cached.trainStep({ ...args, microBatch: 3 });
    expect(Math.abs(r1.loss - r2.loss)).toBeLessThan(1e-12);
    expect(Math.abs(r1.gradNorm - r2.gradNorm)).toBeLessThan(1e-10);
    let worst = 0;
    for (const name of plain.parameterNames()) {
      worst = Math.max(worst, maxAbsDiff(plain.getParameter(name), cached.getParameter(name)));
    }
    console.log(`GradCache vs plain step: max |param diff| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-10);
    // And the step did something: the parameters moved.
    const fresh = await Encoder.create(config, { seed: 5, dtype: 'float64' });
    const moved = maxAbsDiff(
      fresh.getParameter('encoder.layer.0.attention.self.query.weight'),
      plain.getParameter('encoder.layer.0.attention.self.query.weight'),
    );
    expect(moved).toBeGreaterThan(1e-4);
  });
});

describe('precision and devices', () => {
  it('bf16 autocast on the CPU trains and embeds close to fp32', async () => {
    const config = tinyConfig({ hiddenSize: 32, intermediateSize: 64 });
    const fp32 = await Encoder.create(config, { seed: 4 });
    const bf16 = await Encoder.create(config, { seed: 4, precision: 'bf16' });
    const batch = randomBatch(9, 4, 12, 64, 0);
    const e32 = await fp32.embedTokens(batch);
    const e16 = await bf16.embedTokens(batch);
    for (let r = 0; r < 4; r++) {
      let dot = 0;
      for (let i = 0; i < 32; i++) dot += e32[r * 32 + i]! * e16[r * 32 + i]!;
      expect(dot).toBeGreaterThan(0.98);
    }
    expect(maxAbsDiff(e32, e16)).toBeGreaterThan(0); // bf16 really ran
    const r = await bf16.trainStep({ objective: 'simcse', a: batch, temperature: 0.05, lr: 1e-3 });
    expect(Number.isFinite(r.loss)).toBe(true);
  });

  it('refuses fp16 on the CPU and CUDA on a CPU build, with clear errors', async () => {
    await expect(Encoder.create(tinyConfig(), { precision: 'fp16' })).rejects.toThrow(/fp16.*CUDA/);
    if (native().buildInfo().backend === 'cpu') {
      await expect(Encoder.create(tinyConfig(), { device: 'cuda' })).rejects.toThrow(
        /built against a CPU libtorch.*SECORA_TORCH_DIR/,
      );
      await expect(Encoder.create(tinyConfig(), { device: 'cuda:1' })).rejects.toThrow(/cuda:1/);
    }
    await expect(Encoder.create(tinyConfig(), { device: 'tpu' })).rejects.toThrow(
      /'cpu', 'cuda' or 'cuda:N'/,
    );
  });
});

describe('overlapping calls', () => {
  it('the native encoder refuses a second slow call while one runs; Encoder queues them', async () => {
    const addon = native();
    const config = tinyConfig();
    const raw = new addon.NativeEncoder({ config, seed: 0 });
    const a = randomBatch(1, 8, 16, 64, 0);
    const first = raw.trainStep({ objective: 'simcse', a, temperature: 0.05, lr: 1e-3 });
    await expect(raw.embed(a)).rejects.toThrow(/busy with trainStep/);
    expect(() => raw.getRngState()).toThrow(/busy/);
    await first;
    expect((await raw.embed(a)).length).toBe(8 * config.embeddingSize);
    raw.dispose();
    await expect(raw.embed(a)).rejects.toThrow(/disposed/);

    const enc = await Encoder.create(config);
    const results = await Promise.all([
      enc.trainStep({ objective: 'simcse', a, temperature: 0.05, lr: 1e-3 }),
      enc.embedTokens(a),
      enc.trainStep({ objective: 'simcse', a, temperature: 0.05, lr: 1e-3 }),
    ]);
    expect(results).toHaveLength(3);
    await enc.dispose();
  });
});
