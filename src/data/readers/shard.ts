// The unit a reader streams: one file, or one row group of a parquet file. The batcher shuffles their order.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeRecord } from '../record.js';
import type { SkipStats } from '../skip-stats.js';

export interface Shard {
  file: string;
  /** Parquet row group index; absent for a whole file. */
  rowGroup?: number;
  /** The language the layout says this shard holds, when it says. */
  language?: string;
}

export interface ShardReader {
  /** Every shard of the configured languages and split, in a stable (sorted) order. */
  shards(): Promise<Shard[]>;
  /** Streams one shard's usable records; unusable ones go to stats with their file and line. */
  readShard(shard: Shard, stats: SkipStats): AsyncIterable<CodeRecord>;
}

/** Natural order, so train_2 sorts before train_10. */
export function compareNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Throws an error naming the path and what it should be when it is absent or of the wrong kind. */
export function requireDir(path: string, what: string): void {
  if (!existsSync(path)) throw new Error(`${what} not found: ${path}`);
  if (!statSync(path).isDirectory()) throw new Error(`${what} is not a folder: ${path}`);
}

/** Sorted names of the entries of a folder that pass a test. */
export function listSorted(dir: string, keep: (name: string, full: string) => boolean): string[] {
  return readdirSync(dir)
    .filter((name) => keep(name, join(dir, name)))
    .sort(compareNames);
}

export function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
