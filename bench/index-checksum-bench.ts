// What the index file's checksums cost at load: a flat and an HNSW index of N functions (hashing embedder,
// dim 256), loaded with CodeIndex.load (which checks the sha256 of every section) beside the sha256 of the
// whole file's bytes alone (already in memory), alternating, median of R rounds.
//
//   npx tsc -p bench/index-checksum.tsconfig.json && node build/bench/bench/index-checksum-bench.js [--functions 50000] [--rounds 5]
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeIndex } from '../src/search/code-index.js';
import { HashingEmbedder } from '../src/search/hashing-embedder.js';
import type { Snippet } from '../src/search/snippet.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : fallback;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const n = arg('functions', 50_000);
  const rounds = arg('rounds', 5);
  const words = [
    'read',
    'write',
    'parse',
    'sort',
    'open',
    'close',
    'hash',
    'merge',
    'split',
    'join',
    'load',
    'save',
  ];
  const snippets: Snippet[] = Array.from({ length: n }, (_, i) => {
    const name = `${words[i % 12]}_${words[(i * 5) % 12]}_${words[(i * 7) % 11]}_${i}`;
    return {
      path: `src/m${i % 997}.py`,
      startLine: 1,
      endLine: 3,
      name,
      language: 'python',
      code: `def ${name}(path, value):\n    """${words[(i * 3) % 12]} the ${words[(i * 11) % 12]} of a file."""\n    return ${words[i % 7]}(path, value, ${i})`,
    };
  });
  const embedder = new HashingEmbedder(256);
  const dir = mkdtempSync(join(tmpdir(), 'secora-checksum-bench-'));
  try {
    for (const factory of ['Flat', 'HNSW32,Flat']) {
      const file = join(dir, `${factory.replace(/\W/g, '')}.sidx`);
      (await CodeIndex.build(embedder, snippets, { factory })).save(file);
      const load: number[] = [];
      const hash: number[] = [];
      for (let r = 0; r < rounds; r++) {
        let t = performance.now();
        CodeIndex.load(file, embedder);
        load.push(performance.now() - t);
        const bytes = readFileSync(file);
        t = performance.now();
        createHash('sha256').update(bytes).digest();
        hash.push(performance.now() - t);
      }
      const mb = statSync(file).size / 2 ** 20;
      console.log(
        JSON.stringify({
          factory,
          functions: n,
          fileMB: Number(mb.toFixed(1)),
          loadMs: Math.round(median(load)),
          sha256Ms: Math.round(median(hash)),
          sha256Share: Number((median(hash) / median(load)).toFixed(2)),
        }),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
