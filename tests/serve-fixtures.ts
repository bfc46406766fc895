// A tiny index (the search fixtures, hashing embedder) on disk, and a server over it on 127.0.0.1:0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeIndex } from '../src/search/code-index.js';
import { HashingEmbedder } from '../src/search/hashing-embedder.js';
import { type RunningServer, type ServeOptions, startServer } from '../src/serve/server.js';
import { SNIPPETS } from './search-fixtures.js';

export async function tinyIndexFile(prefix: string): Promise<{ dir: string; file: string; cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'tiny.sidx');
  const index = await CodeIndex.build(new HashingEmbedder(64), SNIPPETS);
  index.save(file);
  return { dir, file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function serveTiny(file: string, options: Partial<ServeOptions> = {}): Promise<RunningServer> {
  return startServer({ index: file, host: '127.0.0.1', port: 0, ...options });
}

/** POSTs JSON (or a raw body) and returns the status and the parsed reply. */
export async function post(
  url: string,
  body: unknown,
  init: { raw?: string; contentType?: string; token?: string } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/json' };
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  const response = await fetch(url, { method: 'POST', headers, body: init.raw ?? JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}
