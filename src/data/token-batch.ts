// What crosses into the native addon for one batch of token sequences: flat typed arrays, row-major.

export interface TokenBatch {
  /** Token ids [batchSize, seqLen], padded with the tokenizer's pad id. */
  inputIds: Int32Array;
  /** 1 for a real token, 0 for padding, [batchSize, seqLen]. */
  attentionMask: Uint8Array;
  /** Segment ids [batchSize, seqLen]; all zero when absent. */
  tokenTypeIds?: Int32Array;
  batchSize: number;
  seqLen: number;
}

/** Throws a clear error when a batch's arrays do not match its declared shape. */
export function checkTokenBatch(batch: TokenBatch, name = 'batch'): void {
  const n = batch.batchSize * batch.seqLen;
  if (!Number.isInteger(batch.batchSize) || batch.batchSize < 1) {
    throw new RangeError(`${name}.batchSize must be a positive integer, got ${batch.batchSize}`);
  }
  if (!Number.isInteger(batch.seqLen) || batch.seqLen < 1) {
    throw new RangeError(`${name}.seqLen must be a positive integer, got ${batch.seqLen}`);
  }
  if (batch.inputIds.length !== n) {
    throw new RangeError(
      `${name}.inputIds has ${batch.inputIds.length} ids, expected batchSize*seqLen = ${n}`,
    );
  }
  if (batch.attentionMask.length !== n) {
    throw new RangeError(`${name}.attentionMask has ${batch.attentionMask.length} entries, expected ${n}`);
  }
  if (batch.tokenTypeIds && batch.tokenTypeIds.length !== n) {
    throw new RangeError(`${name}.tokenTypeIds has ${batch.tokenTypeIds.length} entries, expected ${n}`);
  }
}
