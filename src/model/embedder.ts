// What an index or an evaluation needs from a model: a name that identifies it, a width, and a way to embed a
// batch. `Encoder` implements it; so does HashingEmbedder (src/search), the lexical baseline.

export interface Embedder {
  /** Identifies the model that made the vectors; an index refuses to be searched with another. */
  readonly modelId: string;
  /** Width of every vector. */
  readonly dim: number;
  /** One L2-normalized row per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** Scales `v` in place to unit length (a zero vector stays zero). */
export function normalizeInPlace(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  if (sum > 0) {
    const inv = 1 / Math.sqrt(sum);
    for (let i = 0; i < v.length; i++) v[i]! *= inv;
  }
  return v;
}

/** Embeds `texts` in batches, checking each row's width, and reports progress after every batch. */
export async function embedAll(
  embedder: Embedder,
  texts: readonly string[],
  batchSize = 32,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let start = 0; start < texts.length; start += batchSize) {
    const batch = texts.slice(start, start + batchSize);
    const rows = await embedder.embed(batch);
    if (rows.length !== batch.length) {
      throw new Error(`embedder ${embedder.modelId} returned ${rows.length} rows for ${batch.length} texts`);
    }
    for (const row of rows) {
      if (row.length !== embedder.dim) {
        throw new Error(
          `embedder ${embedder.modelId} returned a row of ${row.length} values, expected ${embedder.dim}`,
        );
      }
      out.push(row);
    }
    onProgress?.(out.length, texts.length);
  }
  return out;
}
