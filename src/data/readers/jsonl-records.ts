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
  let records = 0;
  try {
    for await (const { line, text } of readLines(file)) {
      last = line;
      if (text.trim() === '') continue;
      const parsed = parseCsnLine(text, defaults);
      if ('reason' in parsed) stats.add(file, line, parsed.reason);
      else if (stats.tooLong(file, line, parsed.record.docstring, parsed.record.code)) continue;
      else {
        // readline decodes bad UTF-8 as U+FFFD: counted, so a wrongly encoded file is not silently mangled.
        if (text.includes('\uFFFD')) stats.notUtf8++;
        records++;
        yield parsed.record;
      }
    }
  } catch (err) {
    // A truncated or corrupt .gz loses the rest of its file, not the run: say so, with what was read.
    stats.addTruncated(
      file,
      last + 1,
      records,
      `unreadable: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
