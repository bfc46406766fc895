import { describe, expect, it } from 'vitest';
import { csnBm25Mrr, csnChunks, csnMrr, macroMrr } from '../src/eval/csn-protocol.js';

const f32 = (...v: number[]) => Float32Array.from(v);

describe('the CodeSearchNet MRR protocol', () => {
  it('cuts a seeded permutation into chunks and drops or keeps the last one', () => {
    const dropped = csnChunks(2500, { seed: 7 });
    expect(dropped.map((c) => c.length)).toEqual([1000, 1000]);
    const kept = csnChunks(2500, { seed: 7, incompleteChunk: 'keep' });
    expect(kept.map((c) => c.length)).toEqual([1000, 1000, 500]);
    expect(kept.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    expect(csnChunks(2500, { seed: 7 })).toEqual(dropped);
    expect(csnChunks(2500, { seed: 8 })[0]).not.toEqual(dropped[0]);
    expect(kept[0]).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(() => csnChunks(10, { chunkSize: 1 })).toThrow(/chunkSize/);
  });

  it('ranks each query against its chunk, by hand', () => {
    // q0 ranks its code 1st; q1 scores 1, 0, 0.5 so its own (0) is 3rd; q2 scores 1, 0.1, 0.5 → own 2nd.
    const queries = [f32(1, 0), f32(1, 0), f32(1, 0.1)];
    const codes = [f32(1, 0), f32(0, 1), f32(0.5, 0)];
    const out = csnMrr(queries, codes, { chunkSize: 3 });
    expect(out).toEqual({ mrr: expect.any(Number), queries: 3, chunks: 1, dropped: 0 });
    expect(out.mrr).toBeCloseTo((1 + 1 / 3 + 1 / 2) / 3, 6);
    // The same as one [N, D] matrix.
    const matrix = (rows: Float32Array[]) => ({
      data: f32(...rows.flatMap((r) => [...r])),
      rows: 3,
      cols: 2,
    });
    expect(csnMrr(matrix(queries), matrix(codes), { chunkSize: 3 })).toEqual(out);
  });

  it('gives perfect embeddings MRR 1 and constant ones 1/chunkSize', () => {
    const n = 20;
    const oneHot = Array.from({ length: n }, (_, i) => {
      const v = new Float32Array(n);
      v[i] = 1;
      return v;
    });
    expect(csnMrr(oneHot, oneHot, { chunkSize: 10 }).mrr).toBe(1);
    const constant = Array.from({ length: n }, () => f32(1, 1));
    const out = csnMrr(constant, constant, { chunkSize: 8 });
    expect(out).toEqual({ mrr: 1 / 8, queries: 16, chunks: 2, dropped: 4 });
    expect(csnMrr(constant, constant, { chunkSize: 8, incompleteChunk: 'keep' }).mrr).toBeCloseTo(
      (16 / 8 + 4 / 4) / 20,
      12,
    );
    expect(csnMrr(constant.slice(0, 5), constant.slice(0, 5), { chunkSize: 8 }).mrr).toBeNaN();
    expect(() => csnMrr(constant, constant.slice(1))).toThrow(/20 query embeddings but 19/);
  });

  it('runs BM25 on the same chunks', () => {
    const queries = ['read a json file', 'open socket connection', 'sort the list'];
    const codes = [
      'def readJsonFile(path): return json.load(open(path))',
      'def open_socket(host): return socket.create_connection(host)',
      'def sortList(xs): return sorted(xs)',
    ];
    expect(csnBm25Mrr(queries, codes, { chunkSize: 3 })).toEqual({
      mrr: 1,
      queries: 3,
      chunks: 1,
      dropped: 0,
    });
    // Swapping codes 0 and 1: query 0's new code shares no term (tied at 0 with code 2 → 3rd); query 1's
    // new code shares only "open" (2nd, behind the socket code).
    const swapped = [codes[1]!, codes[0]!, codes[2]!];
    expect(csnBm25Mrr(queries, swapped, { chunkSize: 3 }).mrr).toBeCloseTo((1 / 3 + 1 / 2 + 1) / 3, 12);
  });

  it('macro-averages over the languages that ranked a query', () => {
    const a = { mrr: 0.5, queries: 10, chunks: 1, dropped: 0 };
    const b = { mrr: 0.1, queries: 10, chunks: 1, dropped: 0 };
    const empty = { mrr: Number.NaN, queries: 0, chunks: 0, dropped: 5 };
    expect(macroMrr([a, b, empty, undefined])).toBeCloseTo(0.3, 12);
  });
});
