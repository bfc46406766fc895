// Cross-rank negatives on two real processes (Gloo on 127.0.0.1): the loss and the gradients of a two-rank
// step equal those of one process over the combined batch, with and without GradCache; without the gather,
// they equal the average of each half's own step. float64, no dropout, so the tolerance is tight.

import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { addonPath, type NativeTokenBatch, native, packageRoot } from '../src/native.js';
import { launch } from '../src/parallel/launcher.js';

const CONFIG = {
  modelType: 'roberta' as const,
  vocabSize: 60,
  hiddenSize: 16,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 32,
  maxPositionEmbeddings: 40,
  typeVocabSize: 1,
  layerNormEps: 1e-5,
  hiddenDropoutProb: 0,
  attentionProbsDropoutProb: 0,
  padTokenId: 1,
  pooling: 'cls_projection' as const,
  embeddingSize: 8,
};
const SEED = 11;
const ROWS = 8;

/** A padded batch of random ids, the same on every call with the same seed. */
function batch(rows: number, seqLen: number, seed: number): NativeTokenBatch {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const inputIds = new Int32Array(rows * seqLen);
  const attentionMask = new Uint8Array(rows * seqLen);
  for (let r = 0; r < rows; r++) {
    const length = 2 + Math.floor(next() * (seqLen - 1));
    for (let c = 0; c < seqLen; c++) {
      const real = c < length;
      inputIds[r * seqLen + c] = real ? 3 + Math.floor(next() * (CONFIG.vocabSize - 3)) : CONFIG.padTokenId;
      attentionMask[r * seqLen + c] = real ? 1 : 0;
    }
  }
  return { batchSize: rows, seqLen, inputIds, attentionMask };
}

const A = batch(ROWS, 6, 5);
const B = batch(ROWS, 10, 9);
/** One hard negative per pair, as long as B's rows. */
const N = batch(ROWS, 10, 13);

/** The rows of `first`, then those of `then` (the same sequence length). */
function concatRows(first: NativeTokenBatch, then: NativeTokenBatch): NativeTokenBatch {
  return {
    batchSize: first.batchSize + then.batchSize,
    seqLen: first.seqLen,
    inputIds: Int32Array.from([...first.inputIds, ...then.inputIds]),
    attentionMask: Uint8Array.from([...first.attentionMask, ...then.attentionMask]),
  };
}

function rowsOf(b: NativeTokenBatch, from: number, to: number): NativeTokenBatch {
  return {
    batchSize: to - from,
    seqLen: b.seqLen,
    inputIds: b.inputIds.slice(from * b.seqLen, to * b.seqLen),
    attentionMask: b.attentionMask.slice(from * b.seqLen, to * b.seqLen),
  };
}

interface Step {
  loss: number;
  gradients: Record<string, number[]>;
}

/** One process: the loss and gradients of a step over `a`/`b`, not applied (or the weights after k steps). */
async function single(
  a: NativeTokenBatch,
  b: NativeTokenBatch,
  symmetric: boolean,
  steps = 0,
): Promise<Step> {
  const enc = new (native().NativeEncoder)({ config: CONFIG, dtype: 'float64', seed: SEED });
  let loss = 0;
  for (let i = 0; i < Math.max(1, steps); i++) {
    const r = await enc.trainStep({
      objective: 'pairs',
      a,
      b,
      temperature: 0.1,
      symmetric,
      lr: steps ? 1e-3 : 0,
      apply: steps > 0,
    });
    loss = r.loss;
  }
  const gradients: Record<string, number[]> = {};
  for (const name of enc.parameterNames()) {
    gradients[name] = Array.from((steps ? enc.getParameter(name) : enc.getGradient(name)) ?? []);
  }
  enc.dispose();
  return { loss, gradients };
}

/** Two ranks of tests/fixtures/ddp-gradients-worker.mjs, started by the launcher; each one's step. */
async function twoRanks(spec: {
  symmetric: boolean;
  microBatch: number;
  gatherNegatives: boolean;
  steps?: number;
  /** Hard negatives: each rank appends its rows of N to its rows of B. */
  hardNegatives?: boolean;
}) {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      out += chunk;
      done();
    },
  });
  const json = JSON.stringify({
    steps: 0,
    ...spec,
    config: CONFIG,
    seed: SEED,
    rows: ROWS,
    temperature: 0.1,
    a: { seqLen: A.seqLen, inputIds: Array.from(A.inputIds), attentionMask: Array.from(A.attentionMask) },
    b: { seqLen: B.seqLen, inputIds: Array.from(B.inputIds), attentionMask: Array.from(B.attentionMask) },
    ...(spec.hardNegatives
      ? {
          n: {
            seqLen: N.seqLen,
            inputIds: Array.from(N.inputIds),
            attentionMask: Array.from(N.attentionMask),
          },
        }
      : {}),
  });
  const result = await launch({
    nproc: 2,
    command: process.execPath,
    args: [join(packageRoot, 'tests', 'fixtures', 'ddp-gradients-worker.mjs'), json],
    env: { ...process.env, SECORA_ADDON: addonPath() },
    stdout: sink,
    stderr: sink,
  });
  expect(result.code, out).toBe(0);
  const ranks = out
    .split('\n')
    .filter((l) => l.includes('{'))
    .map((l) => JSON.parse(l.replace(/^\[rank \d+\] /, '')) as Step & { rank: number })
    .sort((x, y) => x.rank - y.rank);
  expect(ranks.map((r) => r.rank)).toEqual([0, 1]);
  return ranks;
}

function expectClose(got: Step, want: Step): void {
  expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-10);
  let worst = 0;
  let largest = 0;
  for (const [name, w] of Object.entries(want.gradients)) {
    const g = got.gradients[name]!;
    expect(g.length, name).toBe(w.length);
    for (let i = 0; i < w.length; i++) {
      worst = Math.max(worst, Math.abs(g[i]! - w[i]!));
      largest = Math.max(largest, Math.abs(w[i]!));
    }
  }
  expect(largest).toBeGreaterThan(1e-4); // not all zero, so the comparison means something
  expect(worst).toBeLessThan(1e-10);
}

describe('data parallel: cross-rank negatives', () => {
  it('two ranks with gathered negatives give the loss and gradients of one process over the whole batch', async () => {
    const want = await single(A, B, true);
    for (const rank of await twoRanks({ symmetric: true, microBatch: 0, gatherNegatives: true }))
      expectClose(rank, want);
  }, 120_000);

  it('the same with GradCache: the gather happens on the cached embeddings', async () => {
    const want = await single(A, B, false);
    for (const rank of await twoRanks({ symmetric: false, microBatch: 2, gatherNegatives: true }))
      expectClose(rank, want);
  }, 120_000);

  it('hard negatives: the b rows of each rank are its positives then its negatives; gathered, they are the candidates of one process over all positives and negatives', async () => {
    // One process: b = [every positive; every negative], labels 0..ROWS-1. Two ranks: rank r's positives sit at
    // r·(rows of b per rank) among the gathered b rows; the same candidate set, so the same loss and gradients.
    // Plain symmetric, and one-sided with GradCache (the gather then happens on the cached embeddings).
    for (const [symmetric, microBatch] of [
      [true, 0],
      [false, 2],
    ] as const) {
      const want = await single(A, concatRows(B, N), symmetric);
      const plain = await single(A, B, symmetric);
      expect(Math.abs(want.loss - plain.loss)).toBeGreaterThan(1e-3); // the negatives do change the loss
      for (const rank of await twoRanks({
        symmetric,
        microBatch,
        gatherNegatives: true,
        hardNegatives: true,
      }))
        expectClose(rank, want);
    }
  }, 120_000);

  it('without the gather, each rank has its own negatives: the average of the two halves', async () => {
    const halves = [
      await single(rowsOf(A, 0, 4), rowsOf(B, 0, 4), true),
      await single(rowsOf(A, 4, 8), rowsOf(B, 4, 8), true),
    ];
    const want: Step = { loss: (halves[0]!.loss + halves[1]!.loss) / 2, gradients: {} };
    for (const name of Object.keys(halves[0]!.gradients)) {
      want.gradients[name] = halves[0]!.gradients[name]!.map(
        (v, i) => (v + halves[1]!.gradients[name]![i]!) / 2,
      );
    }
    const whole = await single(A, B, true);
    expect(Math.abs(whole.loss - want.loss)).toBeGreaterThan(1e-3); // the gather does change the loss
    for (const rank of await twoRanks({ symmetric: true, microBatch: 0, gatherNegatives: false }))
      expectClose(rank, want);
  }, 120_000);

  it('after 3 AdamW steps both ranks hold the weights of one process trained on the whole batch (GradCache on the ranks)', async () => {
    const want = await single(A, B, true, 3);
    const got = await twoRanks({ symmetric: true, microBatch: 2, gatherNegatives: true, steps: 3 });
    for (const rank of got) expectClose(rank, want);
  }, 120_000);
});
