// Writes model folders with Encoder.save (a tiny BERT and a tiny RoBERTa, random weights, the projection head)
// and, beside each, io.safetensors with inputs and our float64 last_hidden_state, for
// bench/encoder-hf-load.py to load with Hugging Face transformers and compare (where transformers exists).
//
//   npx tsc -p bench/encoder.tsconfig.json && node build/bench/bench/encoder-hf-export.js OUT_DIR
//   python3 bench/encoder-hf-load.py OUT_DIR     # on a machine with transformers
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
process.env['SECORA_ADDON'] ??= join(repo, 'build-native', 'Release', 'secora.node');
const { Encoder } = await import('../src/model/encoder.js');
const { defaultEncoderConfig } = await import('../src/model/config.js');
const { writeSafetensors } = await import('../src/safetensors.js');

const out = process.argv[2];
if (!out) throw new Error('usage: encoder-hf-export.js OUT_DIR');

const small = {
  vocabSize: 99,
  hiddenSize: 32,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  intermediateSize: 37,
};
const configs = {
  bert: defaultEncoderConfig({
    ...small,
    modelType: 'bert',
    maxPositionEmbeddings: 64,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
    padTokenId: 0,
    pooling: 'cls_projection',
    embeddingSize: 16,
  }),
  roberta: defaultEncoderConfig({ ...small, modelType: 'roberta', maxPositionEmbeddings: 66, padTokenId: 1 }),
};

let seed = 7;
const next = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};

for (const [name, config] of Object.entries(configs)) {
  const dir = join(out, name);
  mkdirSync(dir, { recursive: true });
  const enc = await Encoder.create(config, { seed: 3 });
  // Every tensor random (a fresh init has LayerNorm 1/0 and zero biases, which would hide mistakes).
  for (const p of enc.parameterNames()) {
    const ln = p.endsWith('LayerNorm.weight') ? 1 : 0;
    enc.setParameter(
      p,
      enc.getParameter(p).map(() => (next() - 0.5) * 0.6 + ln),
    );
  }
  await enc.save(dir);
  const exact = await Encoder.load(dir, { dtype: 'float64' });
  const B = 3;
  const S = 10;
  const pad = config.padTokenId;
  const inputIds = new Int32Array(B * S).fill(pad);
  const attentionMask = new Uint8Array(B * S);
  const tokenTypeIds = new Int32Array(B * S);
  [10, 4, 7].forEach((len, r) => {
    for (let i = 0; i < len; i++) {
      inputIds[r * S + i] = 2 + Math.floor(next() * 97); // never the padding id (0 or 1)
      attentionMask[r * S + i] = 1;
      if (config.typeVocabSize > 1 && i >= len / 2) tokenTypeIds[r * S + i] = 1;
    }
  });
  const batch = { inputIds, attentionMask, tokenTypeIds, batchSize: B, seqLen: S };
  const hidden = await exact.hiddenStates(batch);
  const i64 = (a: ArrayLike<number>) => BigInt64Array.from(Array.from(a, BigInt));
  writeSafetensors(join(dir, 'io.safetensors'), [
    ['input_ids', { data: i64(inputIds), shape: [B, S] }],
    ['attention_mask', { data: i64(attentionMask), shape: [B, S] }],
    ['token_type_ids', { data: i64(tokenTypeIds), shape: [B, S] }],
    ['last_hidden_state', { data: hidden, shape: [B, S, config.hiddenSize] }],
  ]);
  console.log(`${dir}: ${name} written (modelId ${enc.modelId})`);
}
