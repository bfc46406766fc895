// The miner writes CodeSearchNet's original layout; the codesearchnet reader must load it as it is.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataSource } from '../src/data/data-source.js';
import { mineCorpus } from '../src/data/miner/corpus.js';
import type { CodeRecord } from '../src/data/record.js';
import { SPLITS } from '../src/data/record.js';
import { tempDir } from './data-fixtures.js';

describe('reading a mined corpus', () => {
  it('yields every function the miner kept, in every split, with no skips', async () => {
    const repo = join(tempDir('mine-src'), 'tinyrepo');
    mkdirSync(join(repo, 'pkg'), { recursive: true });
    const fns = Array.from(
      { length: 12 },
      (_, i) =>
        `def scale_${i}(values, factor=${i + 2}):\n    """Multiply every value by the factor number ${i}.\n\n    Longer text.\n    """\n` +
        `    out = []\n    for v in values:\n        out.append(v * factor + ${i})\n    return out\n`,
    );
    writeFileSync(join(repo, 'pkg', 'scaling.py'), fns.join('\n\n'));
    const out = join(tempDir('mine-out'), 'corpus');
    const report = await mineCorpus([repo], { out, languages: ['python'] });
    const records: CodeRecord[] = [];
    let skipped = 0;
    for (const split of SPLITS) {
      const counted = report.counts['python']?.[split] ?? 0;
      if (counted === 0) continue;
      const src = openDataSource({ format: 'codesearchnet', path: out, languages: ['python'], split });
      const got: CodeRecord[] = [];
      for await (const r of src.records()) got.push(r);
      expect(got, split).toHaveLength(counted);
      expect(new Set(got.map((r) => r.partition))).toEqual(new Set([split]));
      records.push(...got);
      skipped += src.stats.skipped;
    }
    expect(skipped).toBe(0);
    expect(records).toHaveLength(12);
    expect(new Set(records.map((r) => r.url)).size).toBe(12);
    for (const r of records) {
      expect(r.language).toBe('python');
      expect(r.docstring).toMatch(/^Multiply every value by the factor number \d+\./);
      expect(r.code).toContain(`def ${r.funcName.split('.').at(-1)}(`);
      // Where the function is in its file: the i-th function starts after i functions of 9 lines and a blank.
      const i = Number(/scale_(\d+)/.exec(r.funcName)![1]);
      expect([r.startLine, r.endLine]).toEqual([1 + 11 * i, 9 + 11 * i]);
    }
  });
});
