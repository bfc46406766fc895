// Streams the CodeSearchNet-schema records of one jsonl(.gz) file, skipping and counting the unusable ones.
import { type CsnDefaults, parseCsnLine } from '../csn-record.js';
import { readLines } from '../line-reader.js';
import type { CodeRecord } from '../record.js';
import type { SkipStats } from '../skip-stats.js';

export async function* readJsonlRecords(
  file: string,
  defaults: CsnDefaults,
  stats: SkipStats,
): AsyncGenerator<CodeRecord> {
  let last = 0;
  try {
    for await (const { line, text } of readLines(file)) {
      last = line;
      if (text.trim() === '') continue;
      const parsed = parseCsnLine(text, defaults);
      if ('reason' in parsed) stats.add(file, line, parsed.reason);
      else yield parsed.record;
    }
  } catch (err) {
    // A truncated or corrupt .gz loses the rest of its file, not the run: count it where it broke.
    stats.add(file, last + 1, `unreadable: ${err instanceof Error ? err.message : String(err)}`);
  }
}
