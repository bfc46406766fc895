// Texts → TokenBatch with a Hugging Face tokenizer (the tokenizers package): truncated to a budget,
// padded to the longest row of the batch.
import { padBatch } from '../data/batcher/pad-batch.js';
import type { TokenBatch } from '../data/token-batch.js';
import type { HfTokenizer as Tokenizer } from './hf-tokenizer.js';

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
  return padBatch(
    encodings.map((e) => ({ ids: e.getIds(), typeIds: e.getTypeIds() })),
    padId,
  );
}
