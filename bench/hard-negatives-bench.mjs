// Times BM25 hard-negative mining over a corpus's training split (bench/RESULTS.md, "Quality").
//   npx tsc -p tsconfig.build.json && node bench/hard-negatives-bench.mjs <corpus dir> [per pair]
import { openDataSource } from '../dist/data/data-source.js';
import { mineHardNegatives } from '../dist/data/hard-negatives.js';

const [path, perPair = '1'] = process.argv.slice(2);
if (!path) throw new Error('usage: node bench/hard-negatives-bench.mjs <corpus dir> [per pair]');
const source = openDataSource({ format: 'codesearchnet', path, split: 'train' });
const items = [];
for await (const r of source.records())
  items.push({ language: r.language, query: r.docstring, code: r.code });
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const mined = mineHardNegatives(items, Number(perPair));
const cpu = process.cpuUsage(cpu0);
console.log(
  `${items.length} pairs: ${((performance.now() - t0) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU, ` +
    `${mined.filter((m) => m.length === Number(perPair)).length} with ${perPair} negative(s)`,
);
