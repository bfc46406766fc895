// Micro-batching in front of an Embedder: texts asked for at about the same time (within `windowMs`, or while
// an earlier batch is still being embedded) go to the model in one call, so concurrent queries share a forward
// pass instead of queueing one by one.
import type { Embedder } from '../model/embedder.js';

export interface QueryBatcherOptions {
  /** How long the first text of a batch waits for others (ms). Default 2. */
  windowMs?: number;
  /** The most texts in one embed call. Default 64. */
  maxBatch?: number;
}

interface Pending {
  texts: string[];
  resolve: (rows: Float32Array[]) => void;
  reject: (error: unknown) => void;
}

export class QueryBatcher implements Embedder {
  readonly modelId: string;
  readonly dim: number;
  private readonly windowMs: number;
  private readonly maxBatch: number;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /** Embed calls made on the wrapped embedder, and texts embedded (for /stats and the tests). */
  calls = 0;
  texts = 0;

  constructor(
    private readonly inner: Embedder,
    options: QueryBatcherOptions = {},
  ) {
    this.modelId = inner.modelId;
    this.dim = inner.dim;
    this.windowMs = options.windowMs ?? 2;
    this.maxBatch = options.maxBatch ?? 64;
    if (!(this.windowMs >= 0)) throw new RangeError(`windowMs must be >= 0, got ${this.windowMs}`);
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1)
      throw new RangeError(`maxBatch must be an integer >= 1, got ${this.maxBatch}`);
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ texts, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.windowMs);
  }

  /** Takes whole requests up to maxBatch texts (a larger request goes alone) and embeds them in one call. */
  private async flush(): Promise<void> {
    const batch: Pending[] = [];
    let size = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (batch.length > 0 && size + next.texts.length > this.maxBatch) break;
      batch.push(this.queue.shift()!);
      size += next.texts.length;
    }
    this.running = true;
    try {
      this.calls++;
      this.texts += size;
      const rows = await this.inner.embed(batch.flatMap((p) => p.texts));
      let at = 0;
      for (const p of batch) {
        p.resolve(rows.slice(at, at + p.texts.length));
        at += p.texts.length;
      }
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      this.running = false;
    }
    // What arrived while the model was busy has already waited: embed it now.
    if (this.queue.length > 0) void this.flush();
  }
}
