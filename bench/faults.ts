// The fault-injection suite's randomized part at scale: many SIGKILLs of a tiny deterministic run (half of them
// during a checkpoint write), each run resumed to the end and compared byte for byte with the uninterrupted run;
// many random corruptions of index files and of a checkpoint, each of which must be refused; and the bad inputs
// of tests/faults, counted. Prints one JSON line of counts for bench/RESULTS.md.
//
//   npx tsc -p tsconfig.build.json && npx tsc -p bench/faults.tsconfig.json && \
//     node build/bench/bench/faults.js [--seed N] [--runs 10] [--kills 3] [--index-corruptions 1000] \
//     [--checkpoint-corruptions 300]
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeIndex } from '../src/search/code-index.js';
import { HashingEmbedder } from '../src/search/hashing-embedder.js';
import { IndexFileError } from '../src/search/index-file.js';
import type { Snippet } from '../src/search/snippet.js';
import { corruptBytes, seeded } from '../tests/faults/fault-kit.js';
import { corruptCheckpoints, killedRun, straightRun } from '../tests/faults/kill-kit.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : fallback;
}

function snippets(n: number): Snippet[] {
  const words = ['read', 'write', 'parse', 'sort', 'open', 'close', 'hash', 'merge', 'split', 'join'];
  return Array.from({ length: n }, (_, i) => {
    const name = `${words[i % 10]}_${words[(i * 7) % 10]}_${i}`;
    return {
      path: `src/m${i % 37}.py`,
      startLine: 1 + i,
      endLine: 3 + i,
      name,
      language: i % 3 === 0 ? 'javascript' : 'python',
      code: `def ${name}(x):\n    return ${words[(i * 3) % 10]}(x, ${i})`,
    };
  });
}

async function main(): Promise<void> {
  const seed = arg('seed', Math.floor(Math.random() * 2 ** 31));
  const random = seeded(seed);
  const out = mkdtempSync(join(tmpdir(), 'secora-bench-faults-'));
  const t0 = performance.now();
  try {
    // Index files: flat and HNSW, 1-16 bytes overwritten anywhere.
    const embedder = new HashingEmbedder(64);
    const files = [join(out, 'flat.sidx'), join(out, 'hnsw.sidx')];
    (await CodeIndex.build(embedder, snippets(500))).save(files[0]!);
    (await CodeIndex.build(embedder, snippets(2000), { factory: 'HNSW32,Flat' })).save(files[1]!);
    const indexTries = arg('index-corruptions', 1000);
    let indexDetected = 0;
    for (let i = 0; i < indexTries; i++) {
      const bad = join(out, 'bad.sidx');
      copyFileSync(files[i % 2]!, bad);
      corruptBytes(bad, random, 1 + Math.floor(random() * 16));
      try {
        CodeIndex.load(bad, embedder);
      } catch (error) {
        if (error instanceof IndexFileError) indexDetected++;
      }
    }
    // Kills: each run killed `kills` times at random, resumed, and compared with the uninterrupted run.
    const reference = await straightRun(out);
    const runs = arg('runs', 10);
    const perRun = arg('kills', 3);
    let kills = 0;
    let duringCheckpoint = 0;
    let equal = 0;
    for (let r = 0; r < runs; r++) {
      const report = await killedRun(out, `killed-${r}`, perRun, random, reference);
      kills += report.kills;
      duringCheckpoint += report.duringCheckpoint;
      if (report.equal) equal++;
      else console.error(`run killed-${r} (seed ${seed}) did not end equal: ${JSON.stringify(report)}`);
    }
    const checkpoint = join(out, 'straight', 'checkpoints', 'step-000006');
    const corrupt = await corruptCheckpoints(
      checkpoint,
      join(out, 'scratch'),
      arg('checkpoint-corruptions', 300),
      random,
    );
    for (const m of corrupt.missed) console.error(`missed: ${m}`);
    console.log(
      JSON.stringify({
        seed,
        seconds: Math.round((performance.now() - t0) / 1000),
        index: { corruptions: indexTries, detected: indexDetected },
        kills: { runs, kills, duringCheckpoint, resumedEqual: equal },
        checkpoint: {
          corruptions: corrupt.tries,
          refusedOnResume: corrupt.refusedOnResume,
          loadCorruptions: corrupt.loadTries,
          refusedOnLoad: corrupt.refusedOnLoad,
        },
      }),
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

await main();
