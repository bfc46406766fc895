// `secora serve` as a library call: open the index and its model, put the micro-batcher in front of the
// model, start the HTTP app (and the watcher), and a close() that stops accepting, lets in-flight requests
// finish, then frees the model.
import { dirname, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { IndexWatcher, type WatchOptions } from './index-watcher.js';
import { LiveIndex } from './live-index.js';
import { openIndex } from './open-index.js';
import { QueryBatcher } from './query-batcher.js';
import type { ServeLimits } from './schemas.js';

export interface ServeOptions {
  index: string;
  model?: string;
  host?: string;
  port?: number;
  token?: string;
  /** Follow the repository the index was built from (root: `watchRoot`, default the index file's folder). */
  watch?: boolean;
  watchRoot?: string;
  watchOptions?: WatchOptions;
  batchWindowMs?: number;
  limits?: Partial<ServeLimits>;
  version?: string;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  live: LiveIndex;
  batcher: QueryBatcher;
  watcher?: IndexWatcher;
  close(): Promise<void>;
}

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token) {
    throw new Error(
      `binding to ${host} makes the index reachable from other machines: give a token with --token or ` +
        'SECORA_TOKEN (clients send Authorization: Bearer <token>), or bind 127.0.0.1',
    );
  }
  const opened = await openIndex(options.index, options.model);
  const live = new LiveIndex(opened.index, opened.file);
  const batcher = new QueryBatcher(opened.model.embedder, { windowMs: options.batchWindowMs });
  let watcher: IndexWatcher | undefined;
  try {
    const app = await buildApp({
      live,
      embedder: batcher,
      modelSource: opened.model.source,
      token: options.token,
      limits: options.limits,
      version: options.version,
      extraStats: () => {
        const memory = opened.modelMemory();
        return memory ? { modelMemoryBytes: memory } : {};
      },
    });
    const url = await app.listen({ host, port: options.port ?? 7700 });
    if (options.watch) {
      const root = resolve(options.watchRoot ?? dirname(opened.file));
      watcher = new IndexWatcher(root, live, opened.model.embedder, options.watchOptions);
      watcher.start();
    }
    return {
      app,
      url,
      live,
      batcher,
      watcher,
      close: async () => {
        await app.close(); // stops accepting; waits for in-flight requests
        await watcher?.close();
        await opened.model.close();
      },
    };
  } catch (error) {
    await watcher?.close();
    await opened.model.close();
    throw error;
  }
}
