// What a run keeps on disk: the model folder (bitwise round trip, Hugging Face layout), the optimizer and
// RNG state (an exact resume), and deterministic mode (two runs, the same bits).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Encoder, setDeterministic, type TrainStepArgs } from '../src/model/encoder.js';
import { readSafetensors } from '../src/safetensors.js';
import { randomBatch, tinyConfig } from './encoder-helpers.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'secora-encoder-'));

function stepArgs(i: number): TrainStepArgs {
  return {
    objective: 'simcse',
    a: randomBatch(100 + i, 6, 10, 64, 0),
    temperature: 0.05,
    lr: 1e-3,
    maxGradNorm: 1,
  };
}

async function weights(enc: Encoder): Promise<Map<string, Float64Array>> {
  return new Map(enc.parameterNames().map((n) => [n, enc.getParameter(n)]));
}

function expectSameBits(a: Map<string, Float64Array>, b: Map<string, Float64Array>): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, values] of a) {
    const other = b.get(name)!;
    const same = values.every((v, i) => Object.is(v, other[i]));
    expect(same, `parameter ${name} differs`).toBe(true);
  }
}

describe('model folder', () => {
  it('save then load is bitwise, keeps modelId, and writes what Hugging Face reads', async () => {
    const config = tinyConfig({
      modelType: 'roberta',
      padTokenId: 1,
      pooling: 'cls_projection',
      embeddingSize: 8,
    });
    const enc = await Encoder.create(config, { seed: 9 });
    await enc.trainStep(stepArgs(0)); // trained weights, not just the initialization
    const dir = scratch();
    await enc.save(dir);
    const loaded = await Encoder.load(dir);
    expectSameBits(await weights(enc), await weights(loaded));
    expect(loaded.modelId).toBe(enc.modelId);
    expect(loaded.modelId).toMatch(/^[0-9a-f]{16}$/);
    expect(loaded.config).toEqual(config);
    const batch = randomBatch(1, 3, 8, 64, 1);
    expect(await loaded.embedTokens(batch)).toEqual(await enc.embedTokens(batch));

    const hf = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(hf).toMatchObject({
      model_type: 'roberta',
      architectures: ['RobertaModel'],
      hidden_size: 16,
      pad_token_id: 1,
    });
    const names = [...readSafetensors(join(dir, 'model.safetensors')).tensors.keys()];
    expect(names).toContain('embeddings.word_embeddings.weight');
    expect(names).toContain('encoder.layer.1.output.LayerNorm.bias');
    expect(names).toContain('secora_head.dense.weight');
    expect(readSafetensors(join(dir, 'model.safetensors')).metadata).toEqual({ format: 'pt' });

    // Another model has another id; training changes the id at the next save.
    const other = await Encoder.create(config, { seed: 10 });
    expect(other.modelId).not.toBe(enc.modelId);
    await enc.trainStep(stepArgs(1));
    await enc.save(dir);
    expect(enc.modelId).not.toBe(loaded.modelId);
  });

  it('loads a checkpoint with the roberta. prefix and extra tensors, naming what it ignored', async () => {
    const dir = join(import.meta.dirname, 'fixtures', 'hf-parity', 'roberta');
    const enc = await Encoder.load(dir);
    expect(enc.config.modelType).toBe('roberta');
    expect(enc.config.pooling).toBe('cls');
    expect(enc.dim).toBe(32);
  });
});

describe('exact resume', () => {
  it('optimizer state + RNG state + weights resume a run bitwise', async () => {
    const config = tinyConfig();
    const straight = await Encoder.create(config, { seed: 21 });
    for (let i = 0; i < 4; i++) await straight.trainStep(stepArgs(i));

    const first = await Encoder.create(config, { seed: 21 });
    for (let i = 0; i < 2; i++) await first.trainStep(stepArgs(i));
    const dir = scratch();
    await first.save(dir);
    await first.saveOptimizer(join(dir, 'optimizer.safetensors'));
    const rng = first.getRngState();
    await first.dispose();

    const resumed = await Encoder.load(dir, { seed: 999 }); // another seed: the state must override it
    await resumed.loadOptimizer(join(dir, 'optimizer.safetensors'));
    resumed.setRngState(rng);
    for (let i = 2; i < 4; i++) await resumed.trainStep(stepArgs(i));
    expectSameBits(await weights(straight), await weights(resumed));

    const opt = readSafetensors(join(dir, 'optimizer.safetensors'));
    expect(Number((opt.tensors.get('step')!.data as BigInt64Array)[0])).toBe(2);
    expect(opt.tensors.has('exp_avg_sq.encoder.layer.0.attention.self.query.weight')).toBe(true);

    // Without the optimizer state the same resume differs (the check can fail).
    const cold = await Encoder.load(dir);
    cold.setRngState(rng);
    for (let i = 2; i < 4; i++) await cold.trainStep(stepArgs(i));
    const a = straight.getParameter('encoder.layer.0.output.dense.weight');
    const b = cold.getParameter('encoder.layer.0.output.dense.weight');
    expect(a.some((v, i) => v !== b[i])).toBe(true);
  });

  it('deterministic mode: two runs from one seed give bitwise the same weights (with GradCache)', async () => {
    const run = async () => {
      const enc = await Encoder.create(tinyConfig({ pooling: 'mean' }), { seed: 7 });
      for (let i = 0; i < 3; i++) await enc.trainStep({ ...stepArgs(i), microBatch: 4 });
      return weights(enc);
    };
    setDeterministic(true);
    try {
      expectSameBits(await run(), await run());
    } finally {
      setDeterministic(false);
    }
    expect(() => setDeterministic('yes' as unknown as boolean)).toThrow(/one boolean/);
  });

  it('rejects an RNG state that is not one', async () => {
    const enc = await Encoder.create(tinyConfig());
    expect(() => enc.setRngState(new Uint8Array([1, 2, 3]))).toThrow(/not a state from getRngState/);
    const good = enc.getRngState();
    expect(() => enc.setRngState(good.slice(0, good.length - 10))).toThrow(/truncated/);
  });
});
