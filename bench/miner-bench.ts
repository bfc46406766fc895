// Miner benchmark on the embedded default corpus (the installed python3's standard library and the
// project's node_modules): functions/s and files/s of a full mining run written in CodeSearchNet's layout,
// of the all-functions mode (a search index's input, nothing written), and the default corpus built cold
// into an empty cache and then found warm.
//
//   npx tsc -p bench/miner.tsconfig.json && node build/bench/bench/miner-bench.js [--runs 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mineCorpus } from '../src/data/miner/corpus.js';
import { defaultCorpus, defaultCorpusSources } from '../src/data/miner/default-corpus.js';
import { mineFunctions } from '../src/data/miner/mine.js';
import { emptyReport, formatReport, type MineReport } from '../src/data/miner/report.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const scratch = mkdtempSync(join(tmpdir(), 'secora-miner-bench-'));
// The project's own node_modules (the compiled bench's packageRoot would be build/bench).
const nodeModules = resolve('node_modules');
const { roots } = defaultCorpusSources({ nodeModules });

try {
  // 1. The documented pairs, written: what building the default corpus costs.
  const seconds: number[] = [];
  let report: MineReport | undefined;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    report = await mineCorpus(roots, { out: join(scratch, `pairs-${i}`) });
    seconds.push((performance.now() - started) / 1000);
  }
  const pairs = report!;
  const parsed = Object.values(pairs.files.parsed).reduce((a, b) => a + b, 0);
  const t = median(seconds);

  // 2. Every function, not written: the input of a search index.
  const allSeconds: number[] = [];
  let all = emptyReport('bench');
  for (let i = 0; i < runs; i++) {
    all = emptyReport('bench');
    const started = performance.now();
    for (const root of roots)
      for await (const _ of mineFunctions(root, { documentedOnly: false, report: all }));
    allSeconds.push((performance.now() - started) / 1000);
  }
  const ta = median(allSeconds);

  // 3. defaultCorpus: cold (mined into an empty cache) then warm (found).
  const cache = join(scratch, 'cache');
  let started = performance.now();
  await defaultCorpus({ cacheDir: cache, nodeModules });
  const cold = (performance.now() - started) / 1000;
  started = performance.now();
  const warm = await defaultCorpus({ cacheDir: cache, nodeModules });
  const warmMs = performance.now() - started;

  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}; median of ${runs} runs`,
  );
  console.log(`roots: ${roots.map((r) => r.dir).join(', ')}\n`);
  console.log(formatReport(pairs));
  console.log('\n| run | files parsed | functions found | kept | time | functions/s | files/s |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(
    `| documented pairs, written | ${parsed} | ${pairs.functions.found} | ${pairs.functions.kept} | ${t.toFixed(2)} s | ${Math.round(pairs.functions.found / t)} | ${Math.round(parsed / t)} |`,
  );
  const allParsed = Object.values(all.files.parsed).reduce((a, b) => a + b, 0);
  console.log(
    `| every function, not written | ${allParsed} | ${all.functions.found} | ${all.functions.kept} | ${ta.toFixed(2)} s | ${Math.round(all.functions.found / ta)} | ${Math.round(allParsed / ta)} |`,
  );
  console.log(
    `\ndefaultCorpus: cold ${cold.toFixed(2)} s, warm ${warmMs.toFixed(1)} ms (built: ${warm.built})`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
