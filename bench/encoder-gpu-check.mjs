// Checks and measures the encoder on a CUDA device with the bare addon (no TypeScript build needed):
//   SECORA_ADDON=path/to/secora.node node bench/encoder-gpu-check.mjs
// bench/encoder-gpu-check.sh builds the addon and runs this on the GPU machine.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const addon = require(process.env.SECORA_ADDON ?? '../build-native/Release/secora.node');
addon.setNumThreads(4);
const info = addon.buildInfo();
console.log(
  `libtorch ${info.torchVersion} backend ${info.backend} sdpa ${info.hasSdpa} devices`,
  info.cudaDevices,
);

function section(name, fn) {
  return fn().then(
    () => undefined,
    (error) => console.log(`${name}: FAILED ${error.stack ?? error}`),
  );
}

function readSafetensors(path) {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  const out = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const raw = new Uint8Array(bytes.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]));
    const data =
      e.dtype === 'F64'
        ? new Float64Array(raw.buffer)
        : e.dtype === 'I64'
          ? new BigInt64Array(raw.buffer)
          : null;
    out[name] = { shape: e.shape, data };
  }
  return out;
}

function hfConfig(dir) {
  const hf = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
  return {
    modelType: hf.model_type,
    vocabSize: hf.vocab_size,
    hiddenSize: hf.hidden_size,
    numHiddenLayers: hf.num_hidden_layers,
    numAttentionHeads: hf.num_attention_heads,
    intermediateSize: hf.intermediate_size,
    maxPositionEmbeddings: hf.max_position_embeddings,
    typeVocabSize: hf.type_vocab_size,
    layerNormEps: hf.layer_norm_eps,
    hiddenDropoutProb: hf.hidden_dropout_prob,
    attentionProbsDropoutProb: hf.attention_probs_dropout_prob,
    padTokenId: hf.pad_token_id,
    pooling: 'cls',
    embeddingSize: hf.hidden_size,
  };
}

function randomBatch(seed, batchSize, seqLen, vocab, pad) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const inputIds = new Int32Array(batchSize * seqLen).fill(pad);
  const attentionMask = new Uint8Array(batchSize * seqLen);
  for (let r = 0; r < batchSize; r++) {
    const len = Math.max(2, Math.floor(seqLen * (0.5 + next() / 2)));
    for (let i = 0; i < len; i++) {
      inputIds[r * seqLen + i] = 3 + Math.floor(next() * (vocab - 3));
      attentionMask[r * seqLen + i] = 1;
    }
  }
  return { inputIds, attentionMask, batchSize, seqLen };
}

const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

await section('hf parity', async () => {
  for (const model of ['bert', 'roberta']) {
    const dir = `tests/fixtures/hf-parity/${model}`;
    const io = readSafetensors(`${dir}/io.safetensors`);
    const [B, S] = io.input_ids.shape;
    const batch = {
      inputIds: Int32Array.from(io.input_ids.data, Number),
      attentionMask: Uint8Array.from(io.attention_mask.data, Number),
      tokenTypeIds: Int32Array.from(io.token_type_ids.data, Number),
      batchSize: B,
      seqLen: S,
    };
    const H = io.last_hidden_state.shape[2];
    for (const [device, dtype] of [
      ['cpu', 'float64'],
      ['cuda', 'float64'],
      ['cuda', 'float32'],
    ]) {
      const enc = new addon.NativeEncoder({ config: hfConfig(dir), device, dtype });
      await enc.loadWeights(`${dir}/model.safetensors`);
      const h = await enc.hiddenStates(batch);
      let worst = 0;
      batch.attentionMask.forEach((m, p) => {
        if (!m) return;
        for (let k = 0; k < H; k++)
          worst = Math.max(worst, Math.abs(h[p * H + k] - io.last_hidden_state.data[p * H + k]));
      });
      console.log(`hf parity ${model} ${device} ${dtype}: max |diff| ${worst.toExponential(2)}`);
    }
  }
});

const tiny = {
  modelType: 'roberta',
  vocabSize: 512,
  hiddenSize: 64,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  intermediateSize: 128,
  maxPositionEmbeddings: 130,
  typeVocabSize: 1,
  layerNormEps: 1e-5,
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  padTokenId: 1,
  pooling: 'cls_projection',
  embeddingSize: 32,
};

await section('cpu vs cuda, precisions', async () => {
  const batch = randomBatch(1, 16, 48, 512, 1);
  const cpu = new addon.NativeEncoder({ config: tiny, seed: 3 });
  const ref = await cpu.embed(batch);
  for (const precision of ['fp32', 'bf16', 'fp16']) {
    const enc = new addon.NativeEncoder({ config: tiny, seed: 3, device: 'cuda', precision });
    const e = await enc.embed(batch);
    const losses = [];
    let last;
    for (let i = 0; i < 20; i++) {
      last = await enc.trainStep({
        objective: 'simcse',
        a: randomBatch(10 + i, 32, 48, 512, 1),
        temperature: 0.05,
        lr: 1e-3,
        maxGradNorm: 1,
      });
      losses.push(last.loss.toFixed(3));
    }
    console.log(
      `cuda ${precision}: embed vs cpu fp32 max |diff| ${maxDiff(e, ref).toExponential(2)}; losses ${losses.join(' ')}; lossScale ${last.lossScale} skipped ${last.skipped}`,
    );
  }
});

await section('GradCache on cuda', async () => {
  const config = { ...tiny, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 };
  const a = randomBatch(5, 24, 32, 512, 1);
  const b = randomBatch(6, 24, 32, 512, 1);
  const args = { objective: 'pairs', a, b, temperature: 0.05, symmetric: true, lr: 1e-3, maxGradNorm: 1 };
  const plain = new addon.NativeEncoder({ config, seed: 4, device: 'cuda' });
  const cached = new addon.NativeEncoder({ config, seed: 4, device: 'cuda' });
  const r1 = await plain.trainStep(args);
  const r2 = await cached.trainStep({ ...args, microBatch: 5 });
  let worst = 0;
  for (const n of plain.parameterNames())
    worst = Math.max(worst, maxDiff(plain.getParameter(n), cached.getParameter(n)));
  console.log(
    `GradCache cuda fp32: loss ${r1.loss} vs ${r2.loss}; max |param diff| ${worst.toExponential(2)}`,
  );
  // With dropout (fused attention's dropout draws from the CUDA default generator): restoring the RNG state
  // must give the same step again.
  const drop = new addon.NativeEncoder({ config: tiny, seed: 4, device: 'cuda' });
  const state = drop.getRngState();
  const g1 = await drop.trainStep({ ...args, microBatch: 5, apply: false });
  drop.setRngState(state);
  const g2 = await drop.trainStep({ ...args, microBatch: 5, apply: false });
  console.log(
    `RNG state on cuda with dropout: loss ${g1.loss} vs ${g2.loss} (equal: ${g1.loss === g2.loss})`,
  );
});

await section('throughput (default size)', async () => {
  const config = {
    ...tiny,
    vocabSize: 16384,
    hiddenSize: 256,
    numHiddenLayers: 4,
    numAttentionHeads: 4,
    intermediateSize: 1024,
    maxPositionEmbeddings: 514,
    pooling: 'cls',
    embeddingSize: 256,
  };
  const S = 128;
  for (const precision of ['fp32', 'bf16', 'fp16']) {
    const enc = new addon.NativeEncoder({ config, seed: 1, device: 'cuda', precision });
    const B = 256;
    const a = randomBatch(2, B, S, 16384, 1);
    const tokens = a.attentionMask.reduce((s, m) => s + m, 0);
    for (let i = 0; i < 2; i++) await enc.trainStep({ objective: 'simcse', a, temperature: 0.05, lr: 1e-4 });
    let t0 = performance.now();
    const steps = 10;
    for (let i = 0; i < steps; i++)
      await enc.trainStep({ objective: 'simcse', a, temperature: 0.05, lr: 1e-4 });
    const train = (2 * tokens * steps) / ((performance.now() - t0) / 1000);
    await enc.embed(a);
    t0 = performance.now();
    for (let i = 0; i < steps; i++) await enc.embed(a);
    const embed = (tokens * steps) / ((performance.now() - t0) / 1000);
    const dtype = precision === 'fp32' ? 'fp32' : precision;
    const rate = addon.matmulRate({ size: 4096, dtype, device: 'cuda', iterations: 20 });
    console.log(
      `cuda ${precision}: train ${(train / 1e3).toFixed(0)}k tokens/s (batch ${B}x${S}, simcse = 2 passes), embed ${(embed / 1e3).toFixed(0)}k tokens/s; matmul 4096² ${dtype} ${(rate / 1e3).toFixed(1)} TFLOP/s`,
    );
  }
});
