// GraphCodeBERT's cleaned CodeSearchNet: {root}/{lang}/{train,valid,test,codebase}.jsonl. Queries in valid and
// test are answered by the codebase entry with the same url; a query line without code takes that entry's code.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseCsnObject } from '../csn-record.js';
import { readLines } from '../line-reader.js';
import type { CodeRecord, Split } from '../record.js';
import { SkipStats } from '../skip-stats.js';
import { readJsonlRecords } from './jsonl-records.js';
import { isDir, listSorted, requireDir, type Shard, type ShardReader } from './shard.js';

function findJsonl(dir: string, name: string): string | undefined {
  for (const ext of ['.jsonl', '.jsonl.gz']) {
    const file = join(dir, name + ext);
    if (existsSync(file)) return file;
  }
  return undefined;
}

function hasCode(obj: Record<string, unknown>): boolean {
  return typeof obj['code'] === 'string' || typeof obj['original_string'] === 'string';
}

export class GraphCodeBertReader implements ShardReader {
  /** codebase file -> url -> code, loaded only when a query line lacks its code. */
  private readonly codebases = new Map<string, Map<string, string>>();

  constructor(
    readonly root: string,
    readonly split: Split,
    readonly languages?: readonly string[],
  ) {
    requireDir(root, 'GraphCodeBERT dataset folder');
  }

  private languageDirs(): [string, string][] {
    if (findJsonl(this.root, 'train') || findJsonl(this.root, this.split)) {
      return [[basename(this.root), this.root]];
    }
    const langs =
      this.languages ?? listSorted(this.root, (_name, full) => isDir(full) && !!findJsonl(full, 'train'));
    if (langs.length === 0) throw new Error(`no {lang}/train.jsonl in GraphCodeBERT folder ${this.root}`);
    return [...langs].sort().map((lang) => {
      const dir = join(this.root, lang);
      requireDir(dir, `GraphCodeBERT language folder for "${lang}"`);
      return [lang, dir];
    });
  }

  async shards(): Promise<Shard[]> {
    return this.languageDirs().map(([language, dir]) => {
      const file = findJsonl(dir, this.split);
      if (!file)
        throw new Error(`GraphCodeBERT ${this.split} file not found: ${join(dir, this.split)}.jsonl`);
      return { file, language };
    });
  }

  /** The retrieval candidates of valid/test ({lang}/codebase.jsonl), each keyed by its url. */
  async *readCodebase(shard: Shard, stats: SkipStats): AsyncGenerator<CodeRecord> {
    const file = findJsonl(join(shard.file, '..'), 'codebase');
    if (!file)
      throw new Error(`GraphCodeBERT codebase file not found: ${join(shard.file, '..', 'codebase.jsonl')}`);
    const defaults = { partition: this.split, ...(shard.language ? { language: shard.language } : {}) };
    yield* readJsonlRecords(file, defaults, stats);
  }

  private async codebaseOf(shard: Shard): Promise<Map<string, string>> {
    const key = join(shard.file, '..');
    let urls = this.codebases.get(key);
    if (!urls) {
      urls = new Map();
      // Without a codebase the line stays codeless and is counted as "missing code".
      if (findJsonl(key, 'codebase')) {
        for await (const r of this.readCodebase(shard, new SkipStats(0))) urls.set(r.url, r.code);
      }
      this.codebases.set(key, urls);
    }
    return urls;
  }

  async *readShard(shard: Shard, stats: SkipStats): AsyncGenerator<CodeRecord> {
    const defaults = { partition: this.split, ...(shard.language ? { language: shard.language } : {}) };
    let last = 0;
    try {
      for await (const { line, text } of readLines(shard.file)) {
        last = line;
        if (text.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (err) {
          stats.add(shard.file, line, `bad JSON: ${err instanceof Error ? err.message : String(err)}`);
          continue;
        }
        if (this.split !== 'train' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
          const obj = value as Record<string, unknown>;
          if (!hasCode(obj) && typeof obj['url'] === 'string') {
            const code = (await this.codebaseOf(shard)).get(obj['url']);
            if (code !== undefined) obj['code'] = code;
          }
        }
        const parsed = parseCsnObject(value, defaults);
        if ('reason' in parsed) stats.add(shard.file, line, parsed.reason);
        else if (stats.tooLong(shard.file, line, parsed.record.docstring, parsed.record.code)) continue;
        else if (!this.languages || this.languages.includes(parsed.record.language)) yield parsed.record;
      }
    } catch (err) {
      stats.add(shard.file, last + 1, `unreadable: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
