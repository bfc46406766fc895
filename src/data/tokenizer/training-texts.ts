// What a tokenizer trains on: the docstrings and the code of a split's records, in the source's order.
import type { CodeRecord } from '../record.js';

export async function* trainingTexts(records: AsyncIterable<CodeRecord>): AsyncGenerator<string> {
  for await (const r of records) {
    yield r.docstring;
    yield r.code;
  }
}
