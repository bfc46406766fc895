// Bad input gets a clear error that names the argument, tensor, file or key at fault.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultEncoderConfig } from '../src/model/config.js';
import { Encoder } from '../src/model/encoder.js';
import { native } from '../src/native.js';
import { readSafetensors, type SafetensorsTensor, writeSafetensors } from '../src/safetensors.js';
import { randomBatch, tinyConfig } from './encoder-helpers.js';

const bertFixture = join(import.meta.dirname, 'fixtures', 'hf-parity', 'bert');
const scratch = () => mkdtempSync(join(tmpdir(), 'secora-errors-'));

/** A copy of the BERT fixture folder whose weights went through `edit`. */
function editedCheckpoint(edit: (tensors: Map<string, SafetensorsTensor>) => void) {
  const dir = scratch();
  copyFileSync(join(bertFixture, 'config.json'), join(dir, 'config.json'));
  const { tensors } = readSafetensors(join(bertFixture, 'model.safetensors'));
  edit(tensors);
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  return dir;
}

describe('bad batches', () => {
  it('names the argument for wrong shapes, types, ids beyond the vocabulary and too-long rows', async () => {
    const enc = await Encoder.create(tinyConfig());
    const good = randomBatch(1, 2, 5, 64, 0);
    await expect(enc.embedTokens({ ...good, seqLen: 6 })).rejects.toThrow(
      /batch\.inputIds has 10 ids, expected.*12/,
    );
    const raw = new (native().NativeEncoder)({ config: tinyConfig() });
    await expect(raw.embed({ ...good, batchSize: 3 })).rejects.toThrow(
      /batch\.inputIds has 10 entries, expected batchSize\*seqLen = 15/,
    );
    await expect(
      raw.embed({ ...good, inputIds: new Float32Array(10) as unknown as Int32Array }),
    ).rejects.toThrow(/batch\.inputIds must be an Int32Array/);
    const ids = good.inputIds.slice();
    ids[7] = 64;
    await expect(enc.embedTokens({ ...good, inputIds: ids })).rejects.toThrow(
      /inputIds\[7\] = 64 \(row 1, column 2\) is outside the vocabulary \[0, 64\)/,
    );
    const mask = good.attentionMask.slice();
    mask[0] = 2;
    await expect(enc.embedTokens({ ...good, attentionMask: mask })).rejects.toThrow(/attentionMask\[0\] = 2/);
    const types = new Int32Array(10).fill(2);
    await expect(enc.embedTokens({ ...good, tokenTypeIds: types })).rejects.toThrow(
      /tokenTypeIds\[0\] = 2.*\[0, 2\)/,
    );
    const long = randomBatch(1, 1, 33, 64, 0);
    await expect(enc.embedTokens(long)).rejects.toThrow(/seqLen 33 is longer than the model's 32 positions/);
    // The encoder still works after refusing bad input.
    expect((await enc.embedTokens(good)).length).toBe(2 * 16);
  });

  it('names the argument of a bad training step', async () => {
    const enc = await Encoder.create(tinyConfig());
    const a = randomBatch(1, 4, 6, 64, 0);
    await expect(enc.trainStep({ objective: 'pairs', a, temperature: 0.05, lr: 1e-3 })).rejects.toThrow(
      /'pairs' needs b/,
    );
    await expect(
      enc.trainStep({ objective: 'pairs', a, b: randomBatch(2, 3, 6, 64, 0), temperature: 0.05, lr: 1e-3 }),
    ).rejects.toThrow(/a has 4 rows and b has 3/);
    await expect(enc.trainStep({ objective: 'simcse', a, temperature: 0, lr: 1e-3 })).rejects.toThrow(
      /temperature must be > 0/,
    );
    await expect(
      enc.trainStep({ objective: 'other' as 'simcse', a, temperature: 0.05, lr: 1e-3 }),
    ).rejects.toThrow(/objective must be 'simcse' or 'pairs'/);
    await expect(
      enc.trainStep({ objective: 'simcse', a, temperature: 0.05, lr: Number.NaN }),
    ).rejects.toThrow(/lr must be/);
  });
});

describe('bad configs', () => {
  it('names the field and what is allowed', async () => {
    expect(() => defaultEncoderConfig({ hiddenSize: 30, numAttentionHeads: 4 })).toThrow(
      /hiddenSize \(30\) must be a multiple of numAttentionHeads \(4\)/,
    );
    expect(() => defaultEncoderConfig({ pooling: 'max' as 'cls' })).toThrow(
      /pooling must be 'cls', 'mean' or 'cls_projection'/,
    );
    expect(() => defaultEncoderConfig({ hiddenDropoutProb: 1 })).toThrow(
      /hiddenDropoutProb must be a number in \[0, 1\)/,
    );
    expect(() => defaultEncoderConfig({ embeddingSize: 64 })).toThrow(
      /embeddingSize \(64\) must equal hiddenSize/,
    );
    expect(() => defaultEncoderConfig({ vocabSize: 1.5 })).toThrow(
      /vocabSize must be an integer >= 1, got 1.5/,
    );
  });

  it('the raw addon asserts the invariants TypeScript validated (no crash past the check)', () => {
    const addon = native();
    expect(() => new addon.NativeEncoder({ config: { ...tinyConfig(), numAttentionHeads: 5 } })).toThrow(
      /hiddenSize % c\.numAttentionHeads == 0 does not hold/,
    );
    expect(() => new addon.NativeEncoder({ config: { ...tinyConfig(), padTokenId: -1 } })).toThrow(
      /c\.padTokenId >= 0 && c\.padTokenId < c\.vocabSize does not hold/,
    );
  });

  it('names the key of a bad config.json', async () => {
    const dir = scratch();
    copyFileSync(join(bertFixture, 'model.safetensors'), join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: 32 }));
    await expect(Encoder.load(dir)).rejects.toThrow(/config\.json lacks 'vocab_size'/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
    await expect(Encoder.load(dir)).rejects.toThrow(/model_type must be 'bert' or 'roberta', got "gpt2"/);
    await expect(Encoder.load(scratch())).rejects.toThrow(/no config\.json/);
  });
});

describe('bad checkpoints', () => {
  it('says a model folder that does not exist does not exist', async () => {
    const dir = join(scratch(), 'runs', 'my-run', 'best');
    await expect(Encoder.load(dir)).rejects.toThrow(`${dir}: no such folder`);
    await expect(Encoder.load(scratch())).rejects.toThrow(/no config\.json, so not a model folder/);
  });

  it('names a missing tensor and its shape', async () => {
    const dir = editedCheckpoint((t) => t.delete('encoder.layer.1.attention.self.key.bias'));
    await expect(Encoder.load(dir)).rejects.toThrow(
      /model\.safetensors: missing tensor 'encoder\.layer\.1\.attention\.self\.key\.bias' \(shape \[32\]\)/,
    );
  });

  it('names a tensor of the wrong shape with both shapes', async () => {
    const dir = editedCheckpoint((t) => {
      t.set('encoder.layer.0.intermediate.dense.weight', {
        dtype: 'F32',
        shape: [36, 32],
        data: new Float32Array(36 * 32),
      });
    });
    await expect(Encoder.load(dir)).rejects.toThrow(
      /tensor 'encoder\.layer\.0\.intermediate\.dense\.weight' has shape \[36, 32\], the model's config expects \[37, 32\]/,
    );
  });

  it('names the file of a truncated checkpoint, and a missing projection head', async () => {
    const dir = scratch();
    copyFileSync(join(bertFixture, 'config.json'), join(dir, 'config.json'));
    writeFileSync(join(dir, 'model.safetensors'), readSafetensorsBytes().subarray(0, 5000));
    await expect(Encoder.load(dir)).rejects.toThrow(
      /model\.safetensors: tensor '.*' has data_offsets .* do not fit/,
    );
    copyFileSync(join(bertFixture, 'model.safetensors'), join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'secora.json'), JSON.stringify({ pooling: 'cls_projection', embeddingSize: 8 }));
    await expect(Encoder.load(dir)).rejects.toThrow(
      /missing tensor 'secora_head\.dense\.weight'.*cls_projection/,
    );
  });

  it('names the tensor when optimizer state belongs to another model', async () => {
    const small = await Encoder.create(tinyConfig());
    const file = join(scratch(), 'optimizer.safetensors');
    await small.saveOptimizer(file);
    const other = await Encoder.create(tinyConfig({ intermediateSize: 20 }));
    await expect(other.loadOptimizer(file)).rejects.toThrow(
      /optimizer tensor 'exp_avg\.encoder\.layer\.0\.intermediate\.dense\.weight' has shape \[24, 16\], the parameter has \[20, 16\]/,
    );
  });
});

function readSafetensorsBytes(): Buffer {
  return readFileSync(join(bertFixture, 'model.safetensors'));
}

describe('errors from the addon', () => {
  it('carry the stack of the call that caused them', async () => {
    const enc = await Encoder.create(tinyConfig());
    const error = await enc.loadOptimizer('/nonexistent/optimizer.safetensors').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(
      /NativeEncoder\.loadOptimizer: \/nonexistent\/optimizer\.safetensors: cannot open/,
    );
    expect(error?.stack).toContain('encoder-errors.test.ts');
  });
});
