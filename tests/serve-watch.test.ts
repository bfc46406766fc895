// `secora serve --watch`: a function written to a file of the indexed repository shows up in search results
// within seconds, a deleted file's functions go, and the index file on disk follows.
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeIndex } from '../src/search/code-index.js';
import { HashingEmbedder } from '../src/search/hashing-embedder.js';
import { indexRepository } from '../src/search/index-repository.js';
import type { RunningServer } from '../src/serve/server.js';
import { post, serveTiny } from './serve-fixtures.js';

const repo = mkdtempSync(join(tmpdir(), 'secora-serve-watch-'));
const indexFile = join(repo, '.secora-index');
let server: RunningServer;
const updates: { changed: number; error?: Error }[] = [];

beforeAll(async () => {
  mkdirSync(join(repo, 'pkg'));
  writeFileSync(
    join(repo, 'pkg', 'io.py'),
    'def read_lines(path):\n    """Read a file and return its lines."""\n    with open(path) as f:\n        return f.readlines()\n',
  );
  await indexRepository(repo, new HashingEmbedder(64), { out: indexFile });
  server = await serveTiny(indexFile, {
    watch: true,
    watchOptions: { debounceMs: 100, onUpdate: (u) => updates.push(u) },
  });
});
afterAll(async () => {
  await server?.close();
  rmSync(repo, { recursive: true, force: true });
});

type Hit = { name: string; path: string; startLine: number };
const names = async (query: string) =>
  ((await post(`${server.url}/search`, { query, k: 3, mode: 'bm25' })).json['hits'] as Hit[]).map(
    (h) => h.name,
  );

/** Polls until `check` passes or `ms` pass; returns the time it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms)
      throw new Error(`not seen within ${ms} ms; updates: ${JSON.stringify(updates)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - start;
}

describe('serve --watch', () => {
  it('a new function shows up within seconds; a removed file goes; the file on disk follows', async () => {
    expect(await names('frobnicate widget')).not.toContain('frobnicate_widget');
    const generation = server.live.generation;
    writeFileSync(
      join(repo, 'pkg', 'widgets.py'),
      'import os\n\n\ndef frobnicate_widget(widget):\n    """Frobnicate the widget in place."""\n    widget.frobnicated = True\n    return widget\n',
    );
    const took = await within(10_000, async () =>
      (await names('frobnicate widget')).includes('frobnicate_widget'),
    );
    expect(took).toBeLessThan(10_000);
    expect(server.live.generation).toBeGreaterThan(generation);
    const hit = (
      (await post(`${server.url}/search`, { query: 'frobnicate', k: 1, mode: 'bm25' })).json['hits'] as Hit[]
    )[0];
    expect(hit).toMatchObject({ path: 'pkg/widgets.py', startLine: 4 });
    // The update was incremental and saved: the file on disk has both files' functions.
    const onDisk = CodeIndex.load(indexFile, new HashingEmbedder(64));
    expect(
      onDisk
        .snippets()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['frobnicate_widget', 'read_lines']);

    unlinkSync(join(repo, 'pkg', 'widgets.py'));
    await within(10_000, async () => !(await names('frobnicate widget')).includes('frobnicate_widget'));
    expect(await names('read a file lines')).toContain('read_lines');
    expect(updates.every((u) => u.error === undefined)).toBe(true);
  });
});
