// CodeSearchNet's original layout: {root}/{lang}/final/jsonl/{split}/{lang}_{split}_{n}.jsonl.gz.
import { basename, join } from 'node:path';
import type { CodeRecord, Split } from '../record.js';
import type { SkipStats } from '../skip-stats.js';
import { readJsonlRecords } from './jsonl-records.js';
import { isDir, listSorted, requireDir, type Shard, type ShardReader } from './shard.js';

const JSONL = /\.jsonl(\.gz)?$/;

export class CodeSearchNetReader implements ShardReader {
  constructor(
    readonly root: string,
    readonly split: Split,
    readonly languages?: readonly string[],
  ) {
    requireDir(root, 'CodeSearchNet folder');
  }

  /** {lang: folder of final/jsonl}; the root may also be one language's own folder. */
  private languageDirs(): [string, string][] {
    if (isDir(join(this.root, 'final', 'jsonl'))) {
      const lang = basename(this.root);
      if (this.languages && !this.languages.includes(lang)) {
        throw new Error(
          `CodeSearchNet folder ${this.root} holds language "${lang}", not ${this.languages.join(', ')}`,
        );
      }
      return [[lang, join(this.root, 'final', 'jsonl')]];
    }
    const langs =
      this.languages ?? listSorted(this.root, (_name, full) => isDir(join(full, 'final', 'jsonl')));
    if (langs.length === 0) {
      throw new Error(`no {lang}/final/jsonl folders in CodeSearchNet folder ${this.root}`);
    }
    return [...langs].sort().map((lang) => {
      const dir = join(this.root, lang, 'final', 'jsonl');
      requireDir(dir, `CodeSearchNet language folder for "${lang}"`);
      return [lang, dir];
    });
  }

  async shards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    for (const [language, dir] of this.languageDirs()) {
      const splitDir = join(dir, this.split);
      requireDir(splitDir, `CodeSearchNet ${language} ${this.split} folder`);
      const files = listSorted(splitDir, (name) => JSONL.test(name));
      if (files.length === 0) throw new Error(`no *.jsonl.gz files in ${splitDir}`);
      for (const name of files) shards.push({ file: join(splitDir, name), language });
    }
    return shards;
  }

  async *readShard(shard: Shard, stats: SkipStats): AsyncGenerator<CodeRecord> {
    const defaults = { partition: this.split, ...(shard.language ? { language: shard.language } : {}) };
    for await (const record of readJsonlRecords(shard.file, defaults, stats)) {
      if (this.languages && !this.languages.includes(record.language)) continue;
      yield record;
    }
  }
}
