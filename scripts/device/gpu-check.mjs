// The GPU checks, run on the device machine by scripts/device/gpu-check.sh against the CUDA build of the addon.
// Writes $OUT/gpu-results.json, and the files the Python side (gpu-check-hf.py) compares with transformers.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodeTokenizer } from '../../dist/data/tokenizer/code-tokenizer.js';
import { defaultEncoderConfig } from '../../dist/model/config.js';
import { Encoder } from '../../dist/model/encoder.js';
import { native } from '../../dist/native.js';
import { readSafetensors } from '../../dist/safetensors.js';

const out = process.env.OUT ?? '/tmp/out';
const work = process.env.WORK ?? '/tmp/gpu-work';
mkdirSync(work, { recursive: true });
const results = { checks: {}, timings: {} };
const save = () => writeFileSync(join(out, 'gpu-results.json'), `${JSON.stringify(results, null, 2)}\n`);
// SECORA_CHECK_ONLY=a,b runs only the checks named (a dry run of some on a developer machine).
const only = process.env.SECORA_CHECK_ONLY?.split(',');
const attempt = async (name, fn) => {
  if (only && !only.includes(name)) return;
  const t0 = performance.now();
  try {
    results.checks[name] = { ok: true, ...(await fn()), seconds: (performance.now() - t0) / 1000 };
  } catch (error) {
    results.checks[name] = { ok: false, error: String(error?.stack ?? error) };
  }
  console.log(name, JSON.stringify(results.checks[name]).slice(0, 400));
  save();
};

function batchOf(B, L, vocab, seed, padFrom = null) {
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const inputIds = new Int32Array(B * L);
  const attentionMask = new Uint8Array(B * L);
  for (let b = 0; b < B; b++) {
    const len = padFrom ? Math.max(2, L - ((b * 7) % Math.max(1, L - 2))) : L;
    for (let t = 0; t < L; t++) {
      const real = t < len;
      inputIds[b * L + t] = real ? 5 + Math.floor(rnd() * (vocab - 5)) : padFrom;
      attentionMask[b * L + t] = real ? 1 : 0;
    }
  }
  return { inputIds, attentionMask, batchSize: B, seqLen: L };
}

const info = native().buildInfo();
delete info.config;
results.build = info;
console.log('build', JSON.stringify(info));
save();

// SECORA_CHECK_DEVICE=cpu SECORA_CHECK_SMALL=1 dry-runs this script on a developer machine.
const device = process.env.SECORA_CHECK_DEVICE ?? 'cuda';
const small = process.env.SECORA_CHECK_SMALL === '1';
const config = defaultEncoderConfig(
  small ? { vocabSize: 512, hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 64, pooling: 'mean' } : { vocabSize: 8192, pooling: 'mean' },
);
const pad = config.padTokenId;

await attempt('cpu-vs-cuda-forward-fp32', async () => {
  const cpu = await Encoder.create(config, { seed: 1 });
  const dir = join(work, 'saved-model');
  await cpu.save(dir);
  const gpu = await Encoder.load(dir, { device });
  const batch = batchOf(4, 48, config.vocabSize, 3, pad);
  const hc = await cpu.hiddenStates(batch);
  const hg = await gpu.hiddenStates(batch);
  let maxDiff = 0;
  const H = config.hiddenSize;
  for (let i = 0; i < hc.length; i++) {
    if (batch.attentionMask[Math.floor(i / H)]) maxDiff = Math.max(maxDiff, Math.abs(hc[i] - hg[i]));
  }
  // For transformers: the inputs and our CPU hidden states.
  writeFileSync(join(work, 'saved-model-io.json'), JSON.stringify({
    input_ids: Array.from(batch.inputIds), attention_mask: Array.from(batch.attentionMask), B: 4, L: 48, H,
    hidden: Array.from(hc),
  }));
  const ec = await cpu.embedTokens(batch);
  const eg = await gpu.embedTokens(batch);
  let maxEmbDiff = 0;
  for (let i = 0; i < ec.length; i++) maxEmbDiff = Math.max(maxEmbDiff, Math.abs(ec[i] - eg[i]));
  await cpu.dispose();
  await gpu.dispose();
  return { device: gpu.device, maxHiddenDiff: maxDiff, maxEmbeddingDiff: maxEmbDiff };
});

for (const precision of ['fp32', 'bf16', 'fp16']) {
  await attempt(`train-cuda-${precision}`, async () => {
    const enc = await Encoder.create(config, { seed: 2, device, precision });
    // Synthetic retrieval: the code of pair i shares its first tokens with query i.
    const a = batchOf(32, 64, config.vocabSize, 11);
    const b = batchOf(32, 192, config.vocabSize, 12);
    for (let r = 0; r < 32; r++) for (let t = 0; t < 32; t++) b.inputIds[r * 192 + t] = a.inputIds[r * 64 + t];
    const losses = [];
    let last;
    for (let i = 0; i < 30; i++) {
      last = await enc.trainStep({ objective: 'pairs', a, b, temperature: 0.05, symmetric: true, lr: 3e-4, maxGradNorm: 1 });
      losses.push(last.loss);
    }
    const t0 = performance.now();
    const n = 20;
    for (let i = 0; i < n; i++) await enc.trainStep({ objective: 'pairs', a, b, temperature: 0.05, symmetric: true, lr: 1e-5, maxGradNorm: 1 });
    const seconds = (performance.now() - t0) / 1000 / n;
    const e0 = performance.now();
    const big = batchOf(256, 192, config.vocabSize, 13);
    for (let i = 0; i < 10; i++) await enc.embedTokens(big);
    const embedSeconds = (performance.now() - e0) / 1000 / 10;
    await enc.dispose();
    results.timings[`train-step-${precision}`] = { secondsPerStep: seconds, tokensPerSecond: (32 * (64 + 192)) / seconds };
    results.timings[`embed-${precision}`] = { tokensPerSecond: (256 * 192) / embedSeconds };
    return { firstLoss: losses[0], lastLoss: losses.at(-1), lossFell: losses.at(-1) < losses[0] * 0.5, lossScale: last.lossScale, skipped: last.skipped, secondsPerStep: seconds };
  });
}

await attempt('gradcache-equals-plain-cuda', async () => {
  const a = batchOf(32, 32, config.vocabSize, 21);
  const b = batchOf(32, 64, config.vocabSize, 22);
  const args = { objective: 'pairs', a, b, temperature: 0.05, symmetric: true, lr: 1e-3 };
  const plain = await Encoder.create({ ...config, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 }, { seed: 5, device });
  const cached = await Encoder.create({ ...config, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 }, { seed: 5, device });
  const p = await plain.computeGradients(args);
  const c = await cached.computeGradients({ ...args, microBatch: 8 });
  const name = 'encoder.layer.0.attention.self.query.weight';
  const gp = plain.getGradient(name);
  const gc = cached.getGradient(name);
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < gp.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(gp[i] - gc[i]));
    scale = Math.max(scale, Math.abs(gp[i]));
  }
  await plain.dispose();
  await cached.dispose();
  return { lossPlain: p.loss, lossCached: c.loss, maxGradDiff: maxDiff, maxGrad: scale };
});

await attempt('tokenizer-for-transformers', async () => {
  const texts = [];
  for (let i = 0; i < 400; i++) texts.push(`def read_lines_${i}(path):\n    """Read a file and return its lines."""\n    with open(path) as f:\n        return f.readlines()  # ${i}`);
  const tok = await CodeTokenizer.train(texts, { modelType: 'roberta', vocabSize: 600 });
  const dir = join(work, 'saved-tokenizer');
  mkdirSync(dir, { recursive: true });
  tok.saveToFolder(dir, 512);
  const samples = ['read a file and return its lines', 'def parse_args(argv):\n    return argv[1:]'];
  const ids = await tok.encodeBatch(samples);
  writeFileSync(join(work, 'saved-tokenizer-ids.json'), JSON.stringify({ samples, ids, cls: tok.special.cls, sep: tok.special.sep }));
  return { vocab: tok.vocabSize };
});
// Dropout on the device (fused attention draws from the device's default generator): restoring the RNG state
// must give the same GradCache step again.
await attempt('rng-state-repeats-step', async () => {
  const a = batchOf(24, 32, config.vocabSize, 5);
  const b = batchOf(24, 32, config.vocabSize, 6);
  const enc = new (native().NativeEncoder)({ config, seed: 4, device });
  const state = enc.getRngState();
  const args = { objective: 'pairs', a, b, temperature: 0.05, symmetric: true, lr: 1e-3, microBatch: 8, apply: false };
  const first = await enc.trainStep(args);
  enc.setRngState(state);
  const again = await enc.trainStep(args);
  return { lossFirst: first.loss, lossAgain: again.loss, equal: first.loss === again.loss };
});

// Against transformers' own outputs (tests/fixtures/hf-parity, made by scripts/device/make-hf-parity.py): the
// same hidden states in float64 on both devices, and in float32 on the GPU.
await attempt('hf-parity', async () => {
  const worst = {};
  for (const model of ['bert', 'roberta']) {
    const dir = `tests/fixtures/hf-parity/${model}`;
    const io = readSafetensors(`${dir}/io.safetensors`).tensors;
    const [B, S] = io.get('input_ids').shape;
    const batch = {
      inputIds: Int32Array.from(io.get('input_ids').data, Number),
      attentionMask: Uint8Array.from(io.get('attention_mask').data, Number),
      tokenTypeIds: Int32Array.from(io.get('token_type_ids').data, Number),
      batchSize: B,
      seqLen: S,
    };
    const want = io.get('last_hidden_state');
    const H = want.shape[2];
    const hf = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
    const encoderConfig = {
      modelType: hf.model_type, vocabSize: hf.vocab_size, hiddenSize: hf.hidden_size,
      numHiddenLayers: hf.num_hidden_layers, numAttentionHeads: hf.num_attention_heads,
      intermediateSize: hf.intermediate_size, maxPositionEmbeddings: hf.max_position_embeddings,
      typeVocabSize: hf.type_vocab_size, layerNormEps: hf.layer_norm_eps,
      hiddenDropoutProb: hf.hidden_dropout_prob, attentionProbsDropoutProb: hf.attention_probs_dropout_prob,
      padTokenId: hf.pad_token_id, pooling: 'cls', embeddingSize: hf.hidden_size,
    };
    for (const [dev, dtype] of [['cpu', 'float64'], [device, 'float64'], [device, 'float32']]) {
      const enc = new (native().NativeEncoder)({ config: encoderConfig, device: dev, dtype });
      await enc.loadWeights(`${dir}/model.safetensors`);
      const h = await enc.hiddenStates(batch);
      let diff = 0;
      batch.attentionMask.forEach((m, p) => {
        if (!m) return;
        for (let k = 0; k < H; k++) diff = Math.max(diff, Math.abs(h[p * H + k] - want.data[p * H + k]));
      });
      worst[`${model}-${dev}-${dtype}`] = diff;
    }
  }
  return { maxHiddenDiff: worst };
});

// Throughput at the default size with the bare addon, beside the device's matmul rate in the same precision.
await attempt('throughput-default-size', async () => {
  const big = small ? config : defaultEncoderConfig({ vocabSize: 16384, pooling: 'cls' });
  const B = small ? 8 : 256;
  const S = small ? 32 : 128;
  const rates = {};
  for (const precision of small ? ['fp32'] : ['fp32', 'bf16', 'fp16']) {
    const enc = await Encoder.create(big, { seed: 1, device, precision });
    const a = batchOf(B, S, big.vocabSize, 2, big.padTokenId);
    const tokens = a.attentionMask.reduce((s, m) => s + m, 0);
    const steps = small ? 2 : 10;
    for (let i = 0; i < 2; i++) await enc.trainStep({ objective: 'simcse', a, temperature: 0.05, lr: 1e-4 });
    let t0 = performance.now();
    for (let i = 0; i < steps; i++) await enc.trainStep({ objective: 'simcse', a, temperature: 0.05, lr: 1e-4 });
    const train = (2 * tokens * steps) / ((performance.now() - t0) / 1000);
    await enc.embedTokens(a);
    t0 = performance.now();
    for (let i = 0; i < steps; i++) await enc.embedTokens(a);
    const embed = (tokens * steps) / ((performance.now() - t0) / 1000);
    await enc.dispose();
    const matmul = native().matmulRate({ size: small ? 256 : 4096, dtype: precision, device, iterations: small ? 2 : 20 });
    rates[precision] = { trainTokensPerSecond: train, embedTokensPerSecond: embed, matmulGflops: matmul };
  }
  results.timings['default-size'] = rates;
  return rates;
});
save();
console.log('done');
