// Embeddings as plain rows: an array of Float32Array, or one [N, D] row-major matrix. Evaluation takes
// either, so the training loop (which holds a matrix) and the CLI (which holds rows) call the same code.

export interface EmbeddingMatrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

export type EmbeddingRows = readonly Float32Array[] | EmbeddingMatrix;

/** The rows as Float32Array views (no copy for a matrix); checks that every row has the same width. */
export function asRows(input: EmbeddingRows, what = 'embeddings'): Float32Array[] {
  let rows: Float32Array[];
  if (Array.isArray(input)) {
    rows = input as Float32Array[];
  } else {
    const m = input as EmbeddingMatrix;
    if (m.data.length !== m.rows * m.cols) {
      throw new RangeError(
        `${what}: a ${m.rows}x${m.cols} matrix needs ${m.rows * m.cols} values, got ${m.data.length}`,
      );
    }
    rows = Array.from({ length: m.rows }, (_, i) => m.data.subarray(i * m.cols, (i + 1) * m.cols));
  }
  const width = rows[0]?.length ?? 0;
  rows.forEach((row, i) => {
    if (row.length !== width)
      throw new RangeError(`${what}: row ${i} has ${row.length} values, row 0 has ${width}`);
  });
  return rows;
}

/** Inner product of two equally long vectors. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = a.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i]! * b[i]!;
    s1 += a[i + 1]! * b[i + 1]!;
    s2 += a[i + 2]! * b[i + 2]!;
    s3 += a[i + 3]! * b[i + 3]!;
  }
  for (; i < n; i++) s0 += a[i]! * b[i]!;
  return s0 + s1 + s2 + s3;
}

/** Scores of one query row against every candidate row. */
export function scoreAgainst(query: Float32Array, candidates: readonly Float32Array[]): Float64Array {
  const out = new Float64Array(candidates.length);
  for (let j = 0; j < candidates.length; j++) out[j] = dot(query, candidates[j]!);
  return out;
}
