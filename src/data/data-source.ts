// One way to open any supported dataset: the config names the format, the path, the languages and the split.
import { CodeSearchNetReader } from './readers/codesearchnet.js';
import { GraphCodeBertReader } from './readers/graphcodebert.js';
import { HfParquetReader } from './readers/hf-parquet.js';
import type { Shard, ShardReader } from './readers/shard.js';
import { type CodeRecord, SPLITS, type Split } from './record.js';
import { SkipStats } from './skip-stats.js';

export const DATA_FORMATS = ['codesearchnet', 'hf-parquet', 'graphcodebert'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

export interface DataSourceConfig {
  /** codesearchnet: {path}/{lang}/final/jsonl/{split}/*.jsonl.gz; hf-parquet: *.parquet under path;
   *  graphcodebert: {path}/{lang}/{split}.jsonl with codebase.jsonl. */
  format: DataFormat;
  path: string;
  /** Only these languages; all the layout holds when absent. */
  languages?: string[];
  split: Split;
  /** Records longer than this (docstring and code, in characters) are skipped and counted. */
  maxRecordChars?: number;
}

export interface DataSource {
  readonly config: DataSourceConfig;
  /** Records skipped in the current (latest) pass over the data, with the file and line of the first few. */
  readonly stats: SkipStats;
  /** All records of every shard in order; each call starts a new pass and resets stats. */
  records(): AsyncIterable<CodeRecord>;
  /** The shards in their stable order, so the batcher can shuffle them. */
  shards(): Promise<Shard[]>;
  /** One shard's records; skips go to stats. */
  readShard(shard: Shard): AsyncIterable<CodeRecord>;
}

function checkConfig(cfg: DataSourceConfig): void {
  if (!(DATA_FORMATS as readonly string[]).includes(cfg.format)) {
    throw new Error(`data format must be one of ${DATA_FORMATS.join(', ')}, got "${cfg.format}"`);
  }
  if (!SPLITS.includes(cfg.split)) {
    throw new Error(`data split must be one of ${SPLITS.join(', ')}, got "${cfg.split}"`);
  }
  if (typeof cfg.path !== 'string' || cfg.path === '')
    throw new Error('data path must be a non-empty string');
  if (cfg.languages !== undefined && (!Array.isArray(cfg.languages) || cfg.languages.length === 0)) {
    throw new Error('data languages must be a non-empty list of language names when given');
  }
}

function readerFor(cfg: DataSourceConfig): ShardReader {
  switch (cfg.format) {
    case 'codesearchnet':
      return new CodeSearchNetReader(cfg.path, cfg.split, cfg.languages);
    case 'hf-parquet':
      return new HfParquetReader(cfg.path, cfg.split, cfg.languages);
    case 'graphcodebert':
      return new GraphCodeBertReader(cfg.path, cfg.split, cfg.languages);
  }
}

/** Opens a dataset; a missing path or language folder is an error naming it (some only when listing shards). */
export function openDataSource(cfg: DataSourceConfig, stats = new SkipStats()): DataSource {
  checkConfig(cfg);
  if (cfg.maxRecordChars !== undefined) stats.maxRecordChars = cfg.maxRecordChars;
  const reader = readerFor(cfg);
  return {
    config: cfg,
    stats,
    shards: () => reader.shards(),
    readShard: (shard) => reader.readShard(shard, stats),
    async *records() {
      stats.reset();
      for (const shard of await reader.shards()) yield* reader.readShard(shard, stats);
    },
  };
}
