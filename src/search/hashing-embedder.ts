// A lexical baseline with the Embedder interface: a hashed bag of code subtokens (no learning, no model).
// Useful to test and time the index without a trained model, and as a second baseline beside BM25.

import { type Embedder, normalizeInPlace } from '../model/embedder.js';
import { codeTokens } from './code-tokens.js';

/** FNV-1a, 32-bit: a fast, stable string hash. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Each distinct subtoken adds ±(1 + ln tf) to bucket hash % dim (the sign from another bit of the hash, so
 * collisions cancel on average); rows are L2-normalized. Its modelId says what it is: never a trained model.
 */
export class HashingEmbedder implements Embedder {
  readonly dim: number;
  readonly modelId: string;

  constructor(dim = 256) {
    if (!Number.isInteger(dim) || dim < 2)
      throw new RangeError(`HashingEmbedder dim must be an integer >= 2, got ${dim}`);
    this.dim = dim;
    this.modelId = `hashing-bag-of-subtokens/v1/dim=${dim}`;
  }

  embedOne(text: string): Float32Array {
    const counts = new Map<string, number>();
    for (const t of codeTokens(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
    const v = new Float32Array(this.dim);
    for (const [token, tf] of counts) {
      const h = fnv1a(token);
      v[h % this.dim]! += (h & 0x80000000 ? -1 : 1) * (1 + Math.log(tf));
    }
    return normalizeInPlace(v);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }
}
