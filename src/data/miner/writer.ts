// Writes records in CodeSearchNet's layout: <out>/<lang>/final/jsonl/<split>/<lang>_<split>_<n>.jsonl.gz,
// one JSON object a line with CodeSearchNet's field names (plus start_line and end_line). A split without
// records holds one empty shard.
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip, gzipSync } from 'node:zlib';
import type { CodeRecord } from '../record.js';
import { SPLITS } from '../record.js';

/** CodeSearchNet's object for a record. */
export function toCodeSearchNetJson(r: CodeRecord): Record<string, unknown> {
  return {
    repo: r.repo,
    path: r.path,
    func_name: r.funcName,
    original_string: r.originalString ?? r.code,
    language: r.language,
    code: r.code,
    code_tokens: r.codeTokens ?? [],
    docstring: r.docstring,
    docstring_tokens: r.docstringTokens ?? [],
    sha: r.sha ?? '',
    url: r.url,
    partition: r.partition,
    start_line: r.startLine,
    end_line: r.endLine,
  };
}

export function shardPath(out: string, language: string, split: string, index: number): string {
  return join(out, language, 'final', 'jsonl', split, `${language}_${split}_${index}.jsonl.gz`);
}

interface Shard {
  gzip: Gzip;
  done: Promise<void>;
  lines: number;
  index: number;
}

/** Streams records into gzip shards of at most shardSize lines each (CodeSearchNet used 30,000). */
export class CodeSearchNetWriter {
  private readonly shards = new Map<string, Shard>();
  private readonly finished: Promise<void>[] = [];
  /** Language -> splits written, so that close() can give every language all three splits. */
  private readonly written = new Map<string, Set<string>>();

  constructor(
    private readonly out: string,
    private readonly shardSize = 30_000,
  ) {}

  private async open(language: string, split: string, index: number): Promise<Shard> {
    const path = shardPath(this.out, language, split, index);
    await mkdir(join(path, '..'), { recursive: true });
    const gzip = createGzip();
    const done = pipeline(gzip, createWriteStream(path));
    done.catch(() => {}); // awaited in close(); avoid an unhandled rejection meanwhile
    return { gzip, done, lines: 0, index };
  }

  async write(record: CodeRecord): Promise<void> {
    const key = `${record.language}\0${record.partition}`;
    let shard = this.shards.get(key);
    if (shard && shard.lines >= this.shardSize) {
      shard.gzip.end();
      this.finished.push(shard.done);
      shard = await this.open(record.language, record.partition, shard.index + 1);
      this.shards.set(key, shard);
    }
    if (!shard) {
      shard = await this.open(record.language, record.partition, 0);
      this.shards.set(key, shard);
      const splits = this.written.get(record.language) ?? new Set<string>();
      this.written.set(record.language, splits.add(record.partition));
    }
    shard.lines++;
    if (!shard.gzip.write(`${JSON.stringify(toCodeSearchNetJson(record))}\n`))
      await new Promise((resolve) => shard.gzip.once('drain', resolve));
  }

  /**
   * Ends every shard and waits until all are on disk. A language with no record in a split gets an empty
   * shard there, so that every split of every language written can be opened.
   */
  async close(): Promise<void> {
    for (const shard of this.shards.values()) {
      shard.gzip.end();
      this.finished.push(shard.done);
    }
    this.shards.clear();
    await Promise.all(this.finished);
    for (const [language, splits] of this.written)
      for (const split of SPLITS.filter((s) => !splits.has(s))) {
        const path = shardPath(this.out, language, split, 0);
        await mkdir(join(path, '..'), { recursive: true });
        await writeFile(path, gzipSync(''));
      }
  }
}
