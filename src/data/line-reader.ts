// Streams the lines of a text file, gunzipping *.gz on the fly, so a file never sits in memory whole.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface NumberedLine {
  /** 1-based line number in the (decompressed) file. */
  line: number;
  text: string;
}

/** Yields each line with its number. A read or gunzip failure (a truncated .gz) is thrown with the file named. */
export async function* readLines(file: string): AsyncGenerator<NumberedLine> {
  const raw = createReadStream(file);
  let input: Readable = raw;
  if (file.endsWith('.gz')) {
    const gunzip = createGunzip();
    // pipe() does not forward errors: a missing file must still reach the consumer.
    raw.on('error', (err) => gunzip.destroy(err));
    input = raw.pipe(gunzip);
  }
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      yield { line, text };
    }
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`${file}: read failed after line ${line}: ${msg}`);
  } finally {
    rl.close();
    raw.destroy();
    if (input !== raw) input.destroy();
  }
}
