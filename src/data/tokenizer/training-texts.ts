// What a tokenizer trains on: the docstrings and the code of a split's records, in the source's order.
import type { CodeRecord } from '../record.js';

/** The texts of the first maxRecords records (all when absent). */
export async function* trainingTexts(
  records: AsyncIterable<CodeRecord>,
  maxRecords = Number.POSITIVE_INFINITY,
): AsyncGenerator<string> {
  let n = 0;
  if (n >= maxRecords) return;
  for await (const r of records) {
    yield r.docstring;
    yield r.code;
    if (++n >= maxRecords) return;
  }
}
