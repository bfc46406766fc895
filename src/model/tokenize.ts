// Texts → TokenBatch with a Hugging Face tokenizer (the tokenizers package): truncated to a budget,
// padded to the longest row of the batch.
import type { Tokenizer } from 'tokenizers';
import type { TokenBatch } from '../data/token-batch.js';

export interface EncodedRow {
  ids: ArrayLike<number>;
  typeIds?: ArrayLike<number>;
}

/** Pads rows to the longest one with `padId` (mask 0). Pure. */
export function padRows(rows: EncodedRow[], padId: number): TokenBatch {
  const batchSize = rows.length;
  const seqLen = Math.max(1, ...rows.map((r) => r.ids.length));
  const inputIds = new Int32Array(batchSize * seqLen).fill(padId);
  const attentionMask = new Uint8Array(batchSize * seqLen);
  const tokenTypeIds = new Int32Array(batchSize * seqLen);
  rows.forEach((row, r) => {
    for (let i = 0; i < row.ids.length; i++) {
      inputIds[r * seqLen + i] = row.ids[i]!;
      attentionMask[r * seqLen + i] = 1;
      tokenTypeIds[r * seqLen + i] = row.typeIds?.[i] ?? 0;
    }
  });
  return { inputIds, attentionMask, tokenTypeIds, batchSize, seqLen };
}

/** Tokenizes `texts` (special tokens as the tokenizer.json's post-processor adds them), at most maxLength each. */
export async function tokenizeBatch(
  tokenizer: Tokenizer,
  texts: string[],
  maxLength: number,
  padId: number,
): Promise<TokenBatch> {
  tokenizer.setTruncation(maxLength);
  tokenizer.disablePadding();
  const encodings = await tokenizer.encodeBatch(texts);
  return padRows(
    encodings.map((e) => ({ ids: e.getIds(), typeIds: e.getTypeIds() })),
    padId,
  );
}
