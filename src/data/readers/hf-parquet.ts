// Hugging Face's code_search_net parquet files, read one row group at a time with hyparquet.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  type AsyncBuffer,
  asyncBufferFromFile,
  type FileMetaData,
  parquetMetadataAsync,
  parquetReadObjects,
} from 'hyparquet';
import { toSplit } from '../csn-record.js';
import { type CodeRecord, CSN_LANGUAGES, type Split } from '../record.js';
import type { SkipStats } from '../skip-stats.js';
import { compareNames, type Shard, type ShardReader } from './shard.js';

/** HF's column for each CodeRecord field. */
const COLUMNS = {
  repo: 'repository_name',
  path: 'func_path_in_repository',
  funcName: 'func_name',
  originalString: 'whole_func_string',
  language: 'language',
  code: 'func_code_string',
  codeTokens: 'func_code_tokens',
  docstring: 'func_documentation_string',
  docstringTokens: 'func_documentation_tokens',
  partition: 'split_name',
  url: 'func_code_url',
} as const;
const REQUIRED = [COLUMNS.code, COLUMNS.docstring, COLUMNS.language, COLUMNS.url];

function findParquet(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) findParquet(full, out);
    else if (name.endsWith('.parquet')) out.push(full);
  }
}

/** Path words such as "python", "train" in "python/train-00000-of-00001.parquet". */
function pathWords(rel: string): string[] {
  return rel.toLowerCase().split(/[/\\._-]+/);
}

/** False when the file's path names another split or language than wanted (HF's layouts do). */
function pathMayHold(rel: string, split: Split, languages?: readonly string[]): boolean {
  const words = pathWords(rel);
  const splits = words.map(toSplit).filter((s) => s !== undefined);
  if (splits.length > 0 && !splits.includes(split)) return false;
  const langs = words.filter((w) => (CSN_LANGUAGES as readonly string[]).includes(w));
  if (languages && langs.length > 0 && !langs.some((l) => languages.includes(l))) return false;
  return true;
}

function stringOr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((t) => typeof t === 'string') ? (v as string[]) : undefined;
}

function missingField(fields: Record<string, string | undefined>): string | undefined {
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value.trim() === '') return `missing ${name}`;
  }
  return undefined;
}

export class HfParquetReader implements ShardReader {
  private readonly files = new Map<string, { buffer: AsyncBuffer; metadata: FileMetaData }>();

  constructor(
    readonly path: string,
    readonly split: Split,
    readonly languages?: readonly string[],
  ) {
    if (!existsSync(path)) throw new Error(`Hugging Face parquet path not found: ${path}`);
  }

  private async open(file: string): Promise<{ buffer: AsyncBuffer; metadata: FileMetaData }> {
    let entry = this.files.get(file);
    if (!entry) {
      const buffer = await asyncBufferFromFile(file);
      let metadata: FileMetaData;
      try {
        metadata = await parquetMetadataAsync(buffer);
      } catch (err) {
        throw new Error(`${file}: not a readable parquet file: ${err instanceof Error ? err.message : err}`);
      }
      const names = new Set(metadata.schema.map((s) => s.name));
      const missing = REQUIRED.filter((c) => !names.has(c));
      if (missing.length > 0) {
        throw new Error(
          `${file}: not in Hugging Face's code_search_net schema, lacks column ${missing.join(', ')}`,
        );
      }
      entry = { buffer, metadata };
      this.files.set(file, entry);
    }
    return entry;
  }

  async shards(): Promise<Shard[]> {
    let files: string[] = [];
    if (statSync(this.path).isDirectory()) findParquet(this.path, files);
    else files = [this.path];
    files.sort((a, b) => compareNames(relative(this.path, a), relative(this.path, b)));
    if (files.length === 0) throw new Error(`no *.parquet files in ${this.path}`);
    const shards: Shard[] = [];
    for (const file of files) {
      if (!pathMayHold(relative(this.path, file), this.split, this.languages)) continue;
      const { metadata } = await this.open(file);
      metadata.row_groups.forEach((_g, rowGroup) => {
        shards.push({ file, rowGroup });
      });
    }
    return shards;
  }

  async *readShard(shard: Shard, stats: SkipStats): AsyncGenerator<CodeRecord> {
    const { buffer, metadata } = await this.open(shard.file);
    const group = shard.rowGroup ?? 0;
    let rowStart = 0;
    for (let g = 0; g < group; g++) rowStart += Number(metadata.row_groups[g]!.num_rows);
    const rowEnd = rowStart + Number(metadata.row_groups[group]!.num_rows);
    const names = new Set(metadata.schema.map((s) => s.name));
    const columns = Object.values(COLUMNS).filter((c) => names.has(c));
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file: buffer, metadata, columns, rowStart, rowEnd });
    } catch (err) {
      // A corrupt row group loses its rows, not the run: count it at its first row.
      stats.add(
        shard.file,
        rowStart + 1,
        `unreadable row group ${group}: ${err instanceof Error ? err.message : err}`,
      );
      return;
    }
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const line = rowStart + i + 1;
      const partition = toSplit(row[COLUMNS.partition]) ?? this.split;
      if (partition !== this.split) continue;
      const language = stringOr(row[COLUMNS.language]);
      if (language && this.languages && !this.languages.includes(language)) continue;
      const code = stringOr(row[COLUMNS.code]);
      const docstring = stringOr(row[COLUMNS.docstring]);
      const url = stringOr(row[COLUMNS.url]);
      const reason = missingField({ code, docstring, language, url });
      if (reason) {
        stats.add(shard.file, line, reason);
        continue;
      }
      if (stats.tooLong(shard.file, line, docstring!, code!)) continue;
      const record: CodeRecord = {
        repo: stringOr(row[COLUMNS.repo]) ?? '',
        path: stringOr(row[COLUMNS.path]) ?? '',
        funcName: stringOr(row[COLUMNS.funcName]) ?? '',
        language: language!,
        code: code!,
        docstring: docstring!,
        url: url!,
        partition,
      };
      const originalString = stringOr(row[COLUMNS.originalString]);
      if (originalString !== undefined) record.originalString = originalString;
      const codeTokens = stringList(row[COLUMNS.codeTokens]);
      if (codeTokens) record.codeTokens = codeTokens;
      const docstringTokens = stringList(row[COLUMNS.docstringTokens]);
      if (docstringTokens) record.docstringTokens = docstringTokens;
      yield record;
    }
  }
}
