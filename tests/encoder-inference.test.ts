// An encoder opened for embedding holds no optimizer state, refuses to train, and tokenizing for embedding
// leaves a shared tokenizer's settings alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Encoder } from '../src/model/encoder.js';
import { tokenizeBatch } from '../src/model/tokenize.js';
import { randomBatch, tinyConfig, wordTokenizer } from './encoder-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'secora-inference-'));
const modelDir = join(root, 'model');
const words = ['read', 'a', 'file', 'and', 'return', 'its', 'lines', 'sort', 'the', 'list'];
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  const encoder = await Encoder.create(tinyConfig(), { seed: 3, tokenizer: wordTokenizer(words) });
  await encoder.save(modelDir);
  await encoder.dispose();
});

describe('inference-only encoders', () => {
  it('a loaded encoder holds only its weights until it trains; then a gradient and two moments per weight', async () => {
    const encoder = await Encoder.load(modelDir);
    await encoder.embed(['read a file']);
    const atRest = encoder.memoryAtRest();
    expect(atRest.parameters).toBeGreaterThan(0);
    expect(atRest.optimizer).toBe(0);
    expect(atRest.gradients).toBe(0);
    const batch = randomBatch(1, 4, 8, 64, 0);
    await encoder.trainStep({ objective: 'simcse', a: batch, temperature: 0.05, lr: 1e-3 });
    const trained = encoder.memoryAtRest();
    // exp_avg and exp_avg_sq per parameter, and one gradient buffer.
    expect(trained.optimizer).toBe(2 * trained.parameters);
    expect(trained.gradients).toBe(trained.parameters);
    await encoder.dispose();
  });

  it('trainable: false refuses training and saving an optimizer, and never allocates one', async () => {
    const encoder = await Encoder.load(modelDir, { trainable: false });
    const batch = randomBatch(2, 4, 8, 64, 0);
    await expect(
      encoder.trainStep({ objective: 'simcse', a: batch, temperature: 0.05, lr: 1e-3 }),
    ).rejects.toThrow(/opened for inference \(trainable: false\)/);
    await expect(encoder.saveOptimizer(join(root, 'opt.safetensors'))).rejects.toThrow(/trainable: true/);
    const rows = await encoder.embed(['sort the list']);
    expect(rows[0]).toHaveLength(encoder.dim);
    expect(encoder.memoryAtRest()).toMatchObject({ gradients: 0, optimizer: 0 });
    await encoder.dispose();
  });

  it('tokenizeBatch cuts to maxLength with the specials kept, as setTruncation does, without changing the tokenizer', async () => {
    const shared = wordTokenizer(words);
    const text = 'read a file and return its lines sort the list';
    const batch = await tokenizeBatch(shared, [text, 'read'], 6, 0);
    expect(batch.seqLen).toBe(6);
    // [CLS] read a file and [SEP]
    const id = (w: string) => shared.tokenToId(w);
    expect(Array.from(batch.inputIds.slice(0, 6))).toEqual(
      ['[CLS]', 'read', 'a', 'file', 'and', '[SEP]'].map(id),
    );
    expect(Array.from(batch.attentionMask.slice(6))).toEqual([1, 1, 1, 0, 0, 0]);
    // The same cut as the tokenizer's own truncation, on a second tokenizer set that way.
    const reference = wordTokenizer(words);
    reference.setTruncation(6);
    expect(Array.from(batch.inputIds.slice(0, 6))).toEqual((await reference.encode(text)).getIds());
    // The shared tokenizer was not set to truncate: it still encodes the whole text.
    expect((await shared.encode(text)).getIds()).toHaveLength(12);
  });
});
