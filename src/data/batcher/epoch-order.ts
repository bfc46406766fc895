// The order of one epoch's records, decided by (seed, epoch) alone: shards in a seeded order, a seeded shuffle
// buffer over the stream, optional length bucketing, then global batches of batchSize * worldSize records of
// which each rank takes its own slice. Every rank computes the same order, so their slices are disjoint.
//
// Trade-off: a stream cannot be shuffled globally without holding it (or an index and random access, which
// gzip does not allow). The shuffle buffer moves a record at most about `shuffleBuffer` places beyond its shard
// order; reshuffling the shard order each epoch spreads that. Memory is the buffer, not the language.
import type { DataSource } from '../data-source.js';
import type { Shard } from '../readers/shard.js';
import type { CodeRecord } from '../record.js';
import { seededRandom, shuffleInPlace } from './seeded-random.js';

export interface EpochOrderConfig {
  seed: number;
  /** Shuffle shards and records (default true); false keeps the source's order. */
  shuffle: boolean;
  /** Records held by the shuffle buffer. */
  shuffleBuffer: number;
  /** Length bucketing: sort pools of this many global batches by length, then shuffle the batches; 0 = off. */
  bucketPool: number;
  batchSize: number;
  rank: number;
  worldSize: number;
  /** Use only the first this many records of the source's stable order (the same subset every epoch). */
  maxRecords?: number;
  /** Drop the last incomplete global batch (always with worldSize > 1, so every rank takes the same steps). */
  dropLast: boolean;
}

async function* capped(source: DataSource, shards: Shard[], max = Number.POSITIVE_INFINITY) {
  let n = 0;
  for (const shard of shards) {
    for await (const record of source.readShard(shard)) {
      yield record;
      if (++n >= max) return;
    }
  }
}

async function* shuffled(
  source: DataSource,
  cfg: EpochOrderConfig,
  epoch: number,
): AsyncGenerator<CodeRecord> {
  const shards = await source.shards();
  if (!cfg.shuffle) {
    yield* capped(source, shards, cfg.maxRecords);
    return;
  }
  // A capped subset must be the same each epoch, so its shards keep their order; the buffer shuffles it.
  if (cfg.maxRecords === undefined) shuffleInPlace(shards, seededRandom(cfg.seed, epoch, 'shards'));
  const random = seededRandom(cfg.seed, epoch, 'buffer');
  const buffer: CodeRecord[] = [];
  for await (const record of capped(source, shards, cfg.maxRecords)) {
    if (buffer.length < cfg.shuffleBuffer) {
      buffer.push(record);
      continue;
    }
    const j = Math.floor(random() * buffer.length);
    yield buffer[j]!;
    buffer[j] = record;
  }
  yield* shuffleInPlace(buffer, random);
}

/** Characters of docstring and code: a tokenizer-free stand-in for the padded length, to bucket by. */
function lengthKey(r: CodeRecord): number {
  return r.docstring.length + r.code.length;
}

async function* globalBatches(
  records: AsyncIterable<CodeRecord>,
  cfg: EpochOrderConfig,
  epoch: number,
): AsyncGenerator<CodeRecord[]> {
  const size = cfg.batchSize * cfg.worldSize;
  if (cfg.bucketPool <= 0) {
    let batch: CodeRecord[] = [];
    for await (const r of records) {
      batch.push(r);
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !cfg.dropLast) yield batch;
    return;
  }
  const random = seededRandom(cfg.seed, epoch, 'buckets');
  const poolSize = size * cfg.bucketPool;
  let pool: CodeRecord[] = [];
  const flush = function* (last: boolean): Generator<CodeRecord[]> {
    // Stable: equal lengths keep their (already shuffled) order.
    const sorted = pool
      .map((r, i) => [lengthKey(r), i, r] as const)
      .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const batches: CodeRecord[][] = [];
    for (let i = 0; i + size <= sorted.length; i += size)
      batches.push(sorted.slice(i, i + size).map((e) => e[2]));
    const rest = sorted.slice(batches.length * size).map((e) => e[2]);
    yield* shuffleInPlace(batches, random);
    pool = rest;
    if (last && rest.length > 0 && !cfg.dropLast) yield rest;
  };
  for await (const r of records) {
    pool.push(r);
    if (pool.length === poolSize) yield* flush(false);
  }
  yield* flush(true);
}

/** This rank's record batches of one epoch, in order. */
export async function* epochBatches(
  source: DataSource,
  cfg: EpochOrderConfig,
  epoch: number,
): AsyncGenerator<CodeRecord[]> {
  for await (const global of globalBatches(shuffled(source, cfg, epoch), cfg, epoch)) {
    // A partial last batch (dropLast false, one rank only) is all this rank's.
    const mine =
      cfg.worldSize === 1 ? global : global.slice(cfg.rank * cfg.batchSize, (cfg.rank + 1) * cfg.batchSize);
    yield mine;
  }
}
