// Mines the three standard libraries of the real questions into a CodeSearchNet-layout corpus of
// (docstring, function) pairs, split by top-level module: the training data of bench/RESULTS.md's quick
// model and the validation split the hybrid's fusion is tuned on. Needs the build (npx tsc -p tsconfig.build.json).
//   node scripts/stdlib-pairs.mjs <out dir>
import { join } from 'node:path';
import { mineCorpus } from '../dist/data/miner/corpus.js';
import { formatReport } from '../dist/data/miner/report.js';
import { fixedCorpora, JDK_MODULES } from '../dist/eval/questions/corpora.js';
import { loadCorpus } from '../dist/eval/questions/corpus-cache.js';
import { packageRoot } from '../dist/package-root.js';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: node scripts/stdlib-pairs.mjs <out dir>\n');
  process.exit(2);
}
const cache = join(process.env.SECORA_CACHE ?? join(packageRoot, '.cache', 'secora'), 'questions');
const [python, go, jdk] = fixedCorpora(join(cache, 'sources'));
await loadCorpus(jdk, cache); // unpacks the JDK's sources once
// The JDK split by package (java.base/java/{io,lang,util,…}) rather than by module, so it has several units.
const jdkRoots = [
  ['java.base/java', 'jdk17-java'],
  ['java.base/javax', 'jdk17-javax'],
  ['java.net.http/java', 'jdk17-net-http'],
  ['java.sql/java', 'jdk17-sql'],
].map(([dir, name]) => ({ dir: join(jdk.dir, dir), name, layout: 'modules', exclude: jdk.exclude }));
const report = await mineCorpus(
  [
    { dir: python.dir, name: 'python3.11-stdlib', layout: 'modules', exclude: python.exclude },
    { dir: go.dir, name: 'go1.19', layout: 'modules', exclude: go.exclude },
    ...jdkRoots,
  ],
  { out },
);
process.stdout.write(`${formatReport(report)}\n(JDK modules: ${JDK_MODULES.join(', ')})\n`);
