// Turns a data source into tokenized training batches: deterministic order by (seed, epoch), a slice per rank,
// fair truncation in concat mode, padding per batch, prefetching, and a position from which a run resumes at
// exactly the next batch.
import type { DataSource } from '../data-source.js';
import { type QueryViewRates, queryView, viewsActive } from '../query-views.js';
import type { CodeRecord } from '../record.js';
import type { SkipStats } from '../skip-stats.js';
import type { TokenBatch } from '../token-batch.js';
import type { CodeTokenizer } from '../tokenizer/code-tokenizer.js';
import { applyTemplate, specialCount } from '../tokenizer/sequence-template.js';
import { type EpochOrderConfig, epochBatches } from './epoch-order.js';
import { fairTruncate } from './fair-truncation.js';
import { padBatch, type TokenRow } from './pad-batch.js';
import { seededRandom } from './seeded-random.js';

export type BatchMode = 'pairs' | 'concat';

/** A bucketing pool that cut the padding by about half on the default corpus (bench/RESULTS.md). */
export const DEFAULT_BUCKET_POOL = 8;

export interface BatcherConfig {
  source: DataSource;
  tokenizer: CodeTokenizer;
  /** Records per batch on this rank. */
  batchSize: number;
  /** pairs: a docstring batch and a code batch; concat: also one joint "doc <sep> code" batch. */
  mode: BatchMode;
  /** Longest docstring and code sequence, special tokens included. */
  maxDocLength: number;
  maxCodeLength: number;
  /** concat: longest joint sequence, special tokens included (the budget fair truncation shares). */
  maxLength?: number;
  seed: number;
  shuffle?: boolean;
  /** Records in the shuffle buffer (default 4096). */
  shuffleBuffer?: number;
  /** Length bucketing over pools of this many batches (default 0: off; DEFAULT_BUCKET_POOL when wanted). */
  bucketPool?: number;
  /** Use only the first this many records of the source (the same subset each epoch, shuffled). */
  maxRecords?: number;
  rank?: number;
  worldSize?: number;
  /** Drop the last incomplete batch of an epoch (default true; must be true with worldSize > 1). */
  dropLast?: boolean;
  /** Batches tokenized ahead of the consumer (default 2; 0: only on demand). */
  prefetch?: number;
  /** Stop after this many steps in all (counting from the run's start, resumed steps included). */
  maxSteps?: number;
  /** Stop after this many epochs. */
  maxEpochs?: number;
  /** Round the padded length up to a multiple of this (default 1). */
  padToMultipleOf?: number;
  /** Query views: the docstring reshaped per pair, drawn from (seed, step, row), so a resume draws the same. */
  queryViews?: QueryViewRates;
  /** Hard negatives: code of other functions appended after the batch's own code rows (pairs mode). */
  negatives?: (record: CodeRecord) => readonly string[];
}

/** Where a batcher stands: small and JSON-able, saved with a checkpoint. */
export interface BatcherPosition {
  epoch: number;
  /** Batches of this epoch already taken. */
  batchInEpoch: number;
  /** Batches taken since the run started. */
  step: number;
  /** The settings that decide the order; resuming under others would not continue the same sequence. */
  order: {
    seed: number;
    batchSize: number;
    worldSize: number;
    rank: number;
    shuffle: boolean;
    shuffleBuffer: number;
    bucketPool: number;
    maxRecords: number | null;
  };
}

export interface Batch {
  /** 0-based step of the run this batch is for. */
  step: number;
  epoch: number;
  /** Batches of this epoch up to and including this one. */
  batchInEpoch: number;
  docs: TokenBatch;
  code: TokenBatch;
  /** concat mode: "doc <sep> code" fairly truncated to maxLength. */
  joint?: TokenBatch;
  /** Rows of `code` past the records' own: hard negatives (0 without them). */
  negativeRows: number;
  /** The query text of each row of `docs` (the docstring, or its view). */
  queries: string[];
  records: CodeRecord[];
  /** The records' urls, their stable ids. */
  ids: string[];
  languages: string[];
}

interface Pending {
  records: CodeRecord[];
  epoch: number;
  batchInEpoch: number;
  step: number;
}

function positiveInt(v: unknown, key: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RangeError(`batcher ${key} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

export class Batcher {
  private readonly order: EpochOrderConfig;
  private readonly queue: Promise<Batch | null>[] = [];
  private readonly pending: AsyncGenerator<Pending>;
  private pos: BatcherPosition;
  private finished = false;

  private constructor(
    readonly config: BatcherConfig,
    start: BatcherPosition,
  ) {
    this.order = Batcher.orderOf(config);
    this.pos = start;
    this.pending = this.recordBatches(start);
  }

  /** Opens a batcher, at the start or at a saved position (the next batch is the one that would have followed). */
  static async open(config: BatcherConfig, position?: BatcherPosition): Promise<Batcher> {
    Batcher.check(config);
    const order = Batcher.orderOf(config);
    const start: BatcherPosition = position
      ? { ...position, order: { ...position.order } }
      : { epoch: 0, batchInEpoch: 0, step: 0, order: Batcher.orderKey(order) };
    const want = JSON.stringify(Batcher.orderKey(order));
    if (JSON.stringify(start.order) !== want) {
      throw new Error(
        `batcher position was saved under order settings ${JSON.stringify(start.order)}, now ${want}: ` +
          'resuming would not continue the same sequence',
      );
    }
    return new Batcher(config, start);
  }

  private static check(c: BatcherConfig): void {
    positiveInt(c.batchSize, 'batchSize');
    positiveInt(c.maxDocLength, 'maxDocLength');
    positiveInt(c.maxCodeLength, 'maxCodeLength');
    if (c.mode !== 'pairs' && c.mode !== 'concat') {
      throw new Error(`batcher mode must be "pairs" or "concat", got ${JSON.stringify(c.mode)}`);
    }
    const t = c.tokenizer.templates;
    for (const [key, min] of [
      ['maxDocLength', specialCount(t.single) + 1],
      ['maxCodeLength', specialCount(t.single) + 1],
    ] as const) {
      if (c[key] < min)
        throw new RangeError(`batcher ${key} must be at least ${min} (specials + 1), got ${c[key]}`);
    }
    if (c.mode === 'concat') {
      const min = specialCount(t.pair) + 2;
      if (positiveInt(c.maxLength, 'maxLength') < min) {
        throw new RangeError(`batcher maxLength must be at least ${min} in concat mode, got ${c.maxLength}`);
      }
    }
    const world = positiveInt(c.worldSize ?? 1, 'worldSize');
    const rank = c.rank ?? 0;
    if (!Number.isInteger(rank) || rank < 0 || rank >= world) {
      throw new RangeError(`batcher rank must be in 0..${world - 1}, got ${rank}`);
    }
    if (world > 1 && c.dropLast === false) {
      throw new Error(
        'batcher dropLast must be true with worldSize > 1 (every rank must take the same steps)',
      );
    }
    positiveInt(c.shuffleBuffer ?? 4096, 'shuffleBuffer');
    const prefetch = c.prefetch ?? 2;
    if (!Number.isInteger(prefetch) || prefetch < 0) {
      throw new RangeError(`batcher prefetch must be a whole number >= 0, got ${JSON.stringify(c.prefetch)}`);
    }
    if (c.maxRecords !== undefined) positiveInt(c.maxRecords, 'maxRecords');
    positiveInt(c.padToMultipleOf ?? 1, 'padToMultipleOf');
    if (!Number.isSafeInteger(c.seed)) throw new RangeError(`batcher seed must be an integer, got ${c.seed}`);
  }

  private static orderOf(c: BatcherConfig): EpochOrderConfig {
    const worldSize = c.worldSize ?? 1;
    return {
      seed: c.seed,
      shuffle: c.shuffle ?? true,
      shuffleBuffer: c.shuffleBuffer ?? 4096,
      bucketPool: c.bucketPool ?? 0,
      batchSize: c.batchSize,
      rank: c.rank ?? 0,
      worldSize,
      dropLast: worldSize > 1 ? true : (c.dropLast ?? true),
      ...(c.maxRecords !== undefined ? { maxRecords: c.maxRecords } : {}),
    };
  }

  private static orderKey(o: EpochOrderConfig): BatcherPosition['order'] {
    return {
      seed: o.seed,
      batchSize: o.batchSize,
      worldSize: o.worldSize,
      rank: o.rank,
      shuffle: o.shuffle,
      shuffleBuffer: o.shuffleBuffer,
      bucketPool: o.bucketPool,
      maxRecords: o.maxRecords ?? null,
    };
  }

  /** Records the source skipped in the current epoch, with the file and line of the first few. */
  get skipStats(): SkipStats {
    return this.config.source.stats;
  }

  /** The position after the last batch next() returned: save it, and open() from it resumes right after. */
  position(): BatcherPosition {
    return { ...this.pos, order: { ...this.pos.order } };
  }

  /** Record batches from a position on, across epochs; the skipped ones are read but never tokenized. */
  private async *recordBatches(start: BatcherPosition): AsyncGenerator<Pending> {
    const { maxSteps, maxEpochs } = this.config;
    let step = start.step;
    for (let epoch = start.epoch; maxEpochs === undefined || epoch < maxEpochs; epoch++) {
      // Skips are counted per pass over the data; a resumed epoch re-reads its start, so its count is whole.
      this.config.source.stats.reset();
      let batchInEpoch = 0;
      const skip = epoch === start.epoch ? start.batchInEpoch : 0;
      for await (const records of epochBatches(this.config.source, this.order, epoch)) {
        batchInEpoch++;
        if (batchInEpoch <= skip) continue;
        if (maxSteps !== undefined && step >= maxSteps) return;
        yield { records, epoch, batchInEpoch, step: step++ };
      }
      if (batchInEpoch === 0) {
        const need = this.order.batchSize * this.order.worldSize;
        throw new Error(`batcher: the data source yields no full batch (needs ${need} records per batch)`);
      }
    }
  }

  private async tokenize(p: Pending): Promise<Batch> {
    const c = this.config;
    const tok = c.tokenizer;
    const { single, pair } = tok.templates;
    const n = p.records.length;
    const views = c.queryViews && viewsActive(c.queryViews) ? c.queryViews : undefined;
    const queries = p.records.map((r, row) =>
      views ? queryView(r, views, seededRandom(c.seed, p.step, `query-view ${row}`)) : r.docstring,
    );
    const negatives = c.mode === 'pairs' && c.negatives ? p.records.flatMap((r) => c.negatives!(r)) : [];
    const encoded = await tok.encodeBatch([...queries, ...p.records.map((r) => r.code), ...negatives]);
    const docIds = encoded.slice(0, n);
    const codeIds = encoded.slice(n);
    const roomSingle = specialCount(single);
    const one = (ids: number[], max: number): TokenRow =>
      applyTemplate(single, ids.slice(0, max - roomSingle));
    const pad = c.padToMultipleOf ?? 1;
    const batch: Batch = {
      step: p.step,
      epoch: p.epoch,
      batchInEpoch: p.batchInEpoch,
      docs: padBatch(
        docIds.map((ids) => one(ids, c.maxDocLength)),
        tok.special.pad,
        pad,
      ),
      code: padBatch(
        codeIds.map((ids) => one(ids, c.maxCodeLength)),
        tok.special.pad,
        pad,
      ),
      negativeRows: negatives.length,
      queries,
      records: p.records,
      ids: p.records.map((r) => r.url),
      languages: p.records.map((r) => r.language),
    };
    if (c.mode === 'concat') {
      const budget = c.maxLength! - specialCount(pair);
      const rows = docIds.map((d, i) => {
        const code = codeIds[i]!;
        const [a, b] = fairTruncate(d.length, code.length, budget);
        return applyTemplate(pair, d.slice(0, a), code.slice(0, b));
      });
      batch.joint = padBatch(rows, tok.special.pad, pad);
    }
    return batch;
  }

  private async produce(): Promise<Batch | null> {
    const r = await this.pending.next();
    return r.done ? null : this.tokenize(r.value);
  }

  /** The next batch, or null when maxSteps or maxEpochs is reached. Keeps `prefetch` batches in flight. */
  async next(): Promise<Batch | null> {
    if (this.finished) return null;
    const ahead = this.config.prefetch ?? 2;
    while (this.queue.length < ahead + 1) {
      const p = this.produce();
      // Rejections surface when awaited below; this keeps a prefetched failure from being "unhandled".
      p.catch(() => {});
      this.queue.push(p);
    }
    const batch = await this.queue.shift()!;
    if (batch === null) {
      this.finished = true;
      this.queue.length = 0;
      return null;
    }
    this.pos = {
      epoch: batch.epoch,
      batchInEpoch: batch.batchInEpoch,
      step: batch.step + 1,
      order: this.pos.order,
    };
    return batch;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
    for (;;) {
      const b = await this.next();
      if (b === null) return;
      yield b;
    }
  }

  /** Stops reading; pending prefetches are dropped. */
  async close(): Promise<void> {
    this.finished = true;
    this.queue.length = 0;
    await this.pending.return(undefined);
  }
}
