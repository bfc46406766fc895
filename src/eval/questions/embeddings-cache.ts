// The corpus's embeddings by one model, cached as raw float32 rows: embedding a standard library takes
// minutes on a CPU, and the same (corpus, model) pair gives the same rows. Keyed by the corpus key and a
// hash of the model's id (a content hash of its weights for a trained model).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Embedder, embedAll } from '../../model/embedder.js';

export function embeddingsFile(
  cacheDir: string,
  corpusName: string,
  corpusKey: string,
  modelId: string,
): string {
  const model = createHash('sha256').update(modelId).digest('hex').slice(0, 16);
  return join(cacheDir, `${corpusName}-${corpusKey}.${model}.f32`);
}

/** One row per text: read from the cache when it holds exactly texts × dim values, else embedded and stored. */
export async function cachedEmbeddings(
  embedder: Embedder,
  texts: readonly string[],
  file: string | undefined,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array> {
  const dim = embedder.dim;
  if (file && existsSync(file)) {
    const bytes = readFileSync(file);
    if (bytes.length === texts.length * dim * 4) {
      const copy = new Uint8Array(bytes); // aligned, owned memory
      return new Float32Array(copy.buffer, 0, texts.length * dim);
    }
  }
  const rows = await embedAll(embedder, texts, 32, onProgress);
  const matrix = new Float32Array(texts.length * dim);
  rows.forEach((row, i) => {
    matrix.set(row, i * dim);
  });
  if (file) {
    mkdirSync(join(file, '..'), { recursive: true });
    const partial = `${file}.partial-${process.pid}`;
    writeFileSync(partial, new Uint8Array(matrix.buffer));
    renameSync(partial, file);
  }
  return matrix;
}

/** Inner products of one query row with every row of the matrix. */
export function innerProducts(matrix: Float32Array, dim: number, query: Float32Array): Float64Array {
  const n = matrix.length / dim;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const base = i * dim;
    for (let j = 0; j < dim; j++) s += matrix[base + j]! * query[j]!;
    out[i] = s;
  }
  return out;
}
