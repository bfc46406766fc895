// Packs token sequences into one TokenBatch padded to the longest sequence of the batch (not to the maximum):
// the batcher's rows and the tokenizer's encodings alike. Pure.
import type { TokenBatch } from '../token-batch.js';

export interface TokenRow {
  ids: ArrayLike<number>;
  typeIds?: ArrayLike<number>;
}

const anyNonZero = (values: ArrayLike<number> | undefined): boolean => {
  for (let i = 0; i < (values?.length ?? 0); i++) if (values![i] !== 0) return true;
  return false;
};

export function padBatch(rows: readonly TokenRow[], padId: number, padToMultipleOf = 1): TokenBatch {
  if (rows.length === 0) throw new RangeError('padBatch needs at least one row');
  let longest = 1;
  for (const r of rows) longest = Math.max(longest, r.ids.length);
  const seqLen = Math.ceil(longest / padToMultipleOf) * padToMultipleOf;
  const inputIds = new Int32Array(rows.length * seqLen).fill(padId);
  const attentionMask = new Uint8Array(rows.length * seqLen);
  const withTypes = rows.some((r) => anyNonZero(r.typeIds));
  const tokenTypeIds = withTypes ? new Int32Array(rows.length * seqLen) : undefined;
  rows.forEach((r, i) => {
    const at = i * seqLen;
    inputIds.set(r.ids, at);
    attentionMask.fill(1, at, at + r.ids.length);
    if (tokenTypeIds && r.typeIds) tokenTypeIds.set(r.typeIds, at);
  });
  const batch: TokenBatch = { inputIds, attentionMask, batchSize: rows.length, seqLen };
  if (tokenTypeIds) batch.tokenTypeIds = tokenTypeIds;
  return batch;
}
