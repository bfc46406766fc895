// An independent float64 forward pass of BERT/RoBERTa in plain TypeScript, written from the Hugging Face
// definitions (not from native/), to check the C++ encoder against. Slow and simple on purpose.
import type { TokenBatch } from '../src/data/token-batch.js';
import type { EncoderConfig } from '../src/model/config.js';

export type Weights = Map<string, Float64Array>;

/** erf to ~1e-14: its Taylor series near 0, a continued fraction for erfc further out. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail.
  let frac = ax;
  for (let n = 80; n >= 1; n--) frac = ax + n / 2 / frac;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / frac;
  return Math.sign(x) * (1 - erfc);
}

const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

function need(w: Weights, name: string): Float64Array {
  const t = w.get(name);
  if (!t) throw new Error(`reference: no weight ${name}`);
  return t;
}

/** y[n, out] = x[n, in] · W[out, in]ᵀ + b[out] */
function linear(
  x: Float64Array,
  rows: number,
  inSize: number,
  w: Float64Array,
  b: Float64Array,
): Float64Array {
  const outSize = b.length;
  const y = new Float64Array(rows * outSize);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outSize; o++) {
      let s = b[o]!;
      for (let i = 0; i < inSize; i++) s += x[r * inSize + i]! * w[o * inSize + i]!;
      y[r * outSize + o] = s;
    }
  }
  return y;
}

function layerNorm(
  x: Float64Array,
  rows: number,
  size: number,
  g: Float64Array,
  b: Float64Array,
  eps: number,
) {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < size; i++) mean += x[r * size + i]!;
    mean /= size;
    let variance = 0;
    for (let i = 0; i < size; i++) variance += (x[r * size + i]! - mean) ** 2;
    variance /= size;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < size; i++) y[r * size + i] = (x[r * size + i]! - mean) * inv * g[i]! + b[i]!;
  }
  return y;
}

/** last_hidden_state [B, S, H] of one batch, in eval mode (no dropout). */
export function referenceForward(c: EncoderConfig, w: Weights, batch: TokenBatch): Float64Array {
  const { batchSize: B, seqLen: S } = batch;
  const H = c.hiddenSize;
  const heads = c.numAttentionHeads;
  const d = H / heads;
  const out = new Float64Array(B * S * H);
  const word = need(w, 'embeddings.word_embeddings.weight');
  const pos = need(w, 'embeddings.position_embeddings.weight');
  const type = need(w, 'embeddings.token_type_embeddings.weight');
  for (let b = 0; b < B; b++) {
    // Embeddings: word + position + token type, then LayerNorm.
    let x = new Float64Array(S * H);
    let counted = 0;
    for (let s = 0; s < S; s++) {
      const id = batch.inputIds[b * S + s]!;
      let p = s;
      if (c.modelType === 'roberta') {
        // Positions from the padding index: the n-th non-padding token gets padTokenId + n.
        if (id === c.padTokenId) p = c.padTokenId;
        else p = c.padTokenId + ++counted;
      }
      const t = batch.tokenTypeIds?.[b * S + s] ?? 0;
      for (let h = 0; h < H; h++) x[s * H + h] = word[id * H + h]! + pos[p * H + h]! + type[t * H + h]!;
    }
    x = layerNorm(
      x,
      S,
      H,
      need(w, 'embeddings.LayerNorm.weight'),
      need(w, 'embeddings.LayerNorm.bias'),
      c.layerNormEps,
    );
    for (let l = 0; l < c.numHiddenLayers; l++) {
      const p = `encoder.layer.${l}.`;
      const q = linear(
        x,
        S,
        H,
        need(w, `${p}attention.self.query.weight`),
        need(w, `${p}attention.self.query.bias`),
      );
      const k = linear(
        x,
        S,
        H,
        need(w, `${p}attention.self.key.weight`),
        need(w, `${p}attention.self.key.bias`),
      );
      const v = linear(
        x,
        S,
        H,
        need(w, `${p}attention.self.value.weight`),
        need(w, `${p}attention.self.value.bias`),
      );
      const context = new Float64Array(S * H);
      for (let head = 0; head < heads; head++) {
        for (let i = 0; i < S; i++) {
          // Softmax over the keys that are real tokens only.
          const scores: number[] = [];
          for (let j = 0; j < S; j++) {
            if (!batch.attentionMask[b * S + j]) {
              scores.push(Number.NEGATIVE_INFINITY);
              continue;
            }
            let dot = 0;
            for (let e = 0; e < d; e++) dot += q[i * H + head * d + e]! * k[j * H + head * d + e]!;
            scores.push(dot / Math.sqrt(d));
          }
          const max = Math.max(...scores);
          const exps = scores.map((s) => Math.exp(s - max));
          const total = exps.reduce((a, e) => a + e, 0);
          for (let e = 0; e < d; e++) {
            let sum = 0;
            for (let j = 0; j < S; j++) sum += (exps[j]! / total) * v[j * H + head * d + e]!;
            context[i * H + head * d + e] = sum;
          }
        }
      }
      const attnOut = linear(
        context,
        S,
        H,
        need(w, `${p}attention.output.dense.weight`),
        need(w, `${p}attention.output.dense.bias`),
      );
      for (let i = 0; i < attnOut.length; i++) attnOut[i]! += x[i]!;
      const attended = layerNorm(
        attnOut,
        S,
        H,
        need(w, `${p}attention.output.LayerNorm.weight`),
        need(w, `${p}attention.output.LayerNorm.bias`),
        c.layerNormEps,
      );
      const inter = linear(
        attended,
        S,
        H,
        need(w, `${p}intermediate.dense.weight`),
        need(w, `${p}intermediate.dense.bias`),
      ).map(gelu);
      const o = linear(
        inter,
        S,
        c.intermediateSize,
        need(w, `${p}output.dense.weight`),
        need(w, `${p}output.dense.bias`),
      );
      for (let i = 0; i < o.length; i++) o[i]! += attended[i]!;
      x = layerNorm(
        o,
        S,
        H,
        need(w, `${p}output.LayerNorm.weight`),
        need(w, `${p}output.LayerNorm.bias`),
        c.layerNormEps,
      );
    }
    out.set(x, b * S * H);
  }
  return out;
}

/** The pooled, L2-normalized embedding per row [B, E] from last_hidden_state. */
export function referenceEmbed(
  c: EncoderConfig,
  w: Weights,
  batch: TokenBatch,
  hidden: Float64Array,
): Float64Array {
  const { batchSize: B, seqLen: S } = batch;
  const H = c.hiddenSize;
  const E = c.embeddingSize;
  const out = new Float64Array(B * E);
  for (let b = 0; b < B; b++) {
    let v = new Float64Array(H);
    if (c.pooling === 'mean') {
      let n = 0;
      for (let s = 0; s < S; s++) {
        if (!batch.attentionMask[b * S + s]) continue;
        n++;
        for (let h = 0; h < H; h++) v[h]! += hidden[(b * S + s) * H + h]!;
      }
      v = v.map((x) => x / Math.max(n, 1));
    } else {
      v = hidden.slice(b * S * H, b * S * H + H);
    }
    if (c.pooling === 'cls_projection') {
      v = linear(v, 1, H, need(w, 'secora_head.dense.weight'), need(w, 'secora_head.dense.bias')).map(
        Math.tanh,
      );
    }
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    for (let e = 0; e < E; e++) out[b * E + e] = v[e]! / norm;
  }
  return out;
}
