// Texts → TokenBatch with a Hugging Face tokenizer (the tokenizers package): truncated to a budget,
// padded to the longest row of the batch. The tokenizer's own settings are never changed: it may be shared.
import { padBatch, type TokenRow } from '../data/batcher/pad-batch.js';
import type { TokenBatch } from '../data/token-batch.js';
import type { HfEncoding as Encoding, HfTokenizer as Tokenizer } from './hf-tokenizer.js';

// How many special tokens the post-processor adds to one sequence, per tokenizer (asked once).
const specialsAdded = new WeakMap<Tokenizer, number>();

async function specialCountOf(tokenizer: Tokenizer): Promise<number> {
  let n = specialsAdded.get(tokenizer);
  if (n === undefined) {
    const empty = await tokenizer.encode('', null, { addSpecialTokens: false });
    n = tokenizer.postProcess(empty, null, true).getLength();
    specialsAdded.set(tokenizer, n);
  }
  return n;
}

/** The ids and type ids of an encoding where its attention mask is set (drops a configured padding). */
function unpadded(e: Encoding): TokenRow {
  const ids = e.getIds();
  const typeIds = e.getTypeIds();
  const mask = e.getAttentionMask();
  if (mask.every((m) => m === 1)) return { ids, typeIds };
  return { ids: ids.filter((_, i) => mask[i] === 1), typeIds: typeIds.filter((_, i) => mask[i] === 1) };
}

/**
 * Tokenizes `texts` to at most maxLength ids each, special tokens included (as the tokenizer.json's
 * post-processor adds them): encoded without specials, cut to leave room for them, then post-processed,
 * as the tokenizer's own truncation does, without setting it (so concurrent callers cannot disturb each other).
 */
export async function tokenizeBatch(
  tokenizer: Tokenizer,
  texts: string[],
  maxLength: number,
  padId: number,
): Promise<TokenBatch> {
  const budget = maxLength - (await specialCountOf(tokenizer));
  if (budget < 1) throw new RangeError(`maxLength ${maxLength} leaves no room beside the special tokens`);
  const encodings = await tokenizer.encodeBatch(texts, { addSpecialTokens: false });
  const rows = encodings.map((e) => {
    if (e.getLength() > budget) e.truncate(budget, 0, 'right'); // the binding's default direction is left
    return unpadded(tokenizer.postProcess(e, null, true));
  });
  return padBatch(rows, padId);
}
