// `secora serve --watch`: follows the repository an index was built from. A change on disk (debounced) runs the
// incremental `secora index` update in the background: the index file is read afresh, only changed files are
// re-embedded, the result is saved atomically and then swapped into the LiveIndex.
import { type FSWatcher, watch } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Embedder } from '../model/embedder.js';
import { indexRepository } from '../search/index-repository.js';
import type { LiveIndex } from './live-index.js';

export interface WatchOptions {
  /** Quiet time after the last change before updating (ms). Default 300. */
  debounceMs?: number;
  /** Texts per embed call while updating: small, so queries get the model in between. Default 8. */
  batchSize?: number;
  /** Told after each update (or its failure). */
  onUpdate?: (event: { embedded: number; changed: number; error?: Error }) => void;
}

export class IndexWatcher {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private updating: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly live: LiveIndex,
    private readonly embedder: Embedder,
    private readonly options: WatchOptions = {},
  ) {}

  start(): void {
    // The index file lives in the tree by default: its own rewrites (and temporary files) are not changes.
    const indexFile = resolve(this.live.file);
    this.watcher = watch(this.root, { recursive: true }, (_event, name) => {
      const changed = name ? join(this.root, name.toString()) : '';
      if (changed.startsWith(indexFile) || changed.includes('/.git/')) return;
      this.changed();
    });
    this.watcher.on('error', (error) => this.options.onUpdate?.({ embedded: 0, changed: 0, error }));
  }

  private changed(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.update();
    }, this.options.debounceMs ?? 300);
  }

  /** Runs one update now (or after the running one, once more). */
  async update(): Promise<void> {
    if (this.updating) {
      this.again = true;
      return this.updating;
    }
    this.updating = (async () => {
      do {
        this.again = false;
        try {
          const result = await indexRepository(this.root, this.embedder, {
            out: this.live.file,
            embedText: this.live.current.embedText,
            batchSize: this.options.batchSize ?? 8,
          });
          const { plan } = result;
          const changed = plan.added.length + plan.changed.length + plan.removed.length;
          if (!this.closed && changed > 0 && result.index) this.live.swap(result.index);
          this.options.onUpdate?.({ embedded: result.embedded, changed });
        } catch (error) {
          this.options.onUpdate?.({ embedded: 0, changed: 0, error: error as Error });
        }
      } while (this.again && !this.closed);
    })();
    try {
      await this.updating;
    } finally {
      this.updating = null;
    }
  }

  /** Stops watching and waits for a running update to end. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    await this.updating;
  }
}
