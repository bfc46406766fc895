import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { evalCommand } from '../src/cli/eval.js';
import type { CodeRecord } from '../src/data/record.js';
import { DEFAULT_FUSION_GRID, tuneFusion } from '../src/eval/questions/tune-fusion.js';
import { formatFusion } from '../src/search/fusion.js';
import { HashingEmbedder } from '../src/search/hashing-embedder.js';
import { FIXTURE_QUESTIONS, writeFixtureCorpus } from './questions-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'secora-questions-eval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const corpusDir = writeFixtureCorpus(join(root, 'fix'));
const questionsFile = join(root, 'questions.jsonl');
writeFileSync(questionsFile, `${FIXTURE_QUESTIONS.map((q) => JSON.stringify(q)).join('\n')}\n`);

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
    stdout += String(c);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c) => {
    stderr += String(c);
    return true;
  });
  try {
    return { code: await evalCommand(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const base = [
  '--questions',
  questionsFile,
  '--corpus',
  `fix=python:${corpusDir}`,
  '--cache',
  join(root, 'cache'),
];

describe('secora eval --questions', () => {
  it('checks that every judged answer resolves', async () => {
    const { code, stdout } = await run([...base, '--check']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/3 questions, 4 judged answers, all resolved \(fix 6 functions\)/);
  });

  it('runs BM25 alone without a model, with metrics that follow from the ranks', async () => {
    const { code, stdout } = await run([...base, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.model).toBeNull();
    const ranks = report.perQuestion.map((q: { ranks: { bm25: number } }) => q.ranks.bm25);
    // Two questions share rare words with their answer; the third shares none: every function ties at 0
    // and the tie counts against it (rank 6 of 6).
    expect(ranks).toEqual([1, 1, 6]);
    const fix = report.corpora[0];
    expect(fix).toMatchObject({ corpus: 'fix', language: 'python', functions: 6, questions: 3 });
    expect(fix.scores.bm25.mrr).toBeCloseTo((1 + 1 + 1 / 6) / 3, 10);
    expect(fix.scores.bm25.recall1).toBeCloseTo(
      (1 + 0.5 + 0) / 3, // the disk question has two answers, only one can be first
      10,
    );
    expect(fix.scores.bm25.recall10).toBeCloseTo(1, 10);
    expect(report.macro.bm25.mrr).toBeCloseTo(fix.scores.bm25.mrr, 10);
    expect(report.macro.model).toBeUndefined();
  });

  it('runs the model and the hybrid with --model hashing, and writes the JSON report', async () => {
    const out = join(root, 'report.json');
    const { code, stdout } = await run([...base, '--model', 'hashing:64', '--fusion', 'rrf:5', '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^macro\s+hybrid\s+3\s/m);
    expect(stdout).toContain('fusion: rrf:5');
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(Object.keys(report.corpora[0].scores)).toEqual(['model', 'bm25', 'hybrid']);
    for (const q of report.perQuestion) expect(q.ranks.model).toBeGreaterThanOrEqual(1);
    const mrr =
      report.perQuestion.reduce((a: number, q: { ranks: { model: number } }) => a + 1 / q.ranks.model, 0) / 3;
    expect(report.corpora[0].scores.model.mrr).toBeCloseTo(mrr, 10);
    // The second run reads the cached embeddings: the same numbers.
    const again = await run([...base, '--model', 'hashing:64', '--fusion', 'rrf:5', '--json']);
    expect(JSON.parse(again.stdout).corpora).toEqual(report.corpora);
  });

  it('--embed-text code: the model embeds each function without its docstring; BM25 still scores all of it', async () => {
    // Words only the docstring has ("paragraph", "break"): the model finds the function only with the docstring.
    const file = join(root, 'docstring-only.jsonl');
    const question = {
      id: 'fix-paragraph',
      corpus: 'fix',
      query: 'break paragraph',
      answers: [{ path: 'textutil.py', name: 'wrap_lines', grade: 3 }],
    };
    writeFileSync(file, `${JSON.stringify(question)}\n`);
    const args = ['--questions', file, ...base.slice(2), '--model', 'hashing:64', '--json'];
    const whole = JSON.parse((await run([...args, '--embed-text', 'whole'])).stdout);
    expect(whole.embedText).toBe('whole');
    const code = JSON.parse((await run([...args, '--embed-text', 'code'])).stdout);
    expect(code.corpora[0].scores.bm25).toEqual(whole.corpora[0].scores.bm25);
    expect(whole.perQuestion[0].ranks.model).toBe(1);
    expect(code.perQuestion[0].ranks.model).toBeGreaterThan(1);
    // code-doc: the docstring's first paragraph after the code brings the words back.
    const codeDoc = JSON.parse((await run([...args, '--embed-text', 'code-doc'])).stdout);
    expect(codeDoc.perQuestion[0].ranks.model).toBe(1);
    const docCode = JSON.parse((await run([...args, '--embed-text', 'doc-code'])).stdout);
    expect(docCode.perQuestion[0].ranks.model).toBe(1);
    await expect(run([...args, '--embed-text', 'docs'])).rejects.toThrow(
      '--embed-text must be one of whole, code, code-doc, doc-code, got "docs"',
    );
  });

  it('--fusion-grid ranks the hybrid with every fusion of the grid, each as a single --fusion run would', async () => {
    const { code, stdout } = await run([...base, '--model', 'hashing:64', '--fusion-grid', '--json']);
    expect(code).toBe(0);
    const grid = JSON.parse(stdout);
    expect(grid.rows.map((r: { fusion: string }) => r.fusion)).toEqual(
      DEFAULT_FUSION_GRID.map((f) => formatFusion(f)),
    );
    for (const fusion of ['rrf:5', 'weighted:0.3']) {
      const single = JSON.parse(
        (await run([...base, '--model', 'hashing:64', '--fusion', fusion, '--json'])).stdout,
      );
      const row = grid.rows.find((r: { fusion: string }) => r.fusion === fusion);
      expect(row.mrr).toBeCloseTo(single.macro.hybrid.mrr, 12);
    }
    const best = Math.max(...grid.rows.map((r: { mrr: number }) => r.mrr));
    expect(grid.rows.find((r: { fusion: string }) => r.fusion === grid.best).mrr).toBe(best);
    const table = await run([...base, '--model', 'hashing:64', '--fusion-grid']);
    expect(table.stdout).toMatch(/^\| ranking \| fix \| macro MRR \| macro nDCG@10 \|$/m);
    expect(table.stdout).toContain(`best by macro MRR: ${grid.best}`);
    await expect(run([...base, '--fusion-grid'])).rejects.toThrow('--fusion-grid needs --model');
  });

  it('ranks against a seeded sample that keeps every judged function', async () => {
    const { code, stdout } = await run([...base, '--sample', '5', '--seed', '1', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.sample).toEqual({ size: 5, seed: 1 });
    expect(report.corpora[0].functions).toBe(5);
    // The four judged functions stay; the question whose words match nothing ties with all five.
    expect(report.perQuestion.map((q: { ranks: { bm25: number } }) => q.ranks.bm25)).toEqual([1, 1, 5]);
  });

  it('names the bad line of a questions file and starts nothing', async () => {
    const bad = join(root, 'bad.jsonl');
    writeFileSync(
      bad,
      `${JSON.stringify(FIXTURE_QUESTIONS[0])}\n{"id": "x", "corpus": "fix", "query": "q"}\n`,
    );
    await expect(run(['--questions', bad, '--corpus', `fix=python:${corpusDir}`])).rejects.toThrow(
      `${bad}:2: answers: must be a non-empty list`,
    );
  });

  it('refuses an unknown corpus, naming the line', async () => {
    const bad = join(root, 'unknown.jsonl');
    writeFileSync(bad, `${JSON.stringify({ ...FIXTURE_QUESTIONS[0], corpus: 'nope' })}\n`);
    await expect(run(['--questions', bad, '--cache', join(root, 'cache')])).rejects.toThrow(
      `${bad}:1: corpus: unknown corpus 'nope' (known: python-stdlib, go-stdlib, jdk)`,
    );
  });
});

describe('tuneFusion', () => {
  const words = ['read', 'write', 'parse', 'merge', 'split', 'hash', 'sort', 'encode', 'open', 'close'];
  const nouns = ['file', 'config', 'token', 'date', 'socket', 'cache'];
  const records: CodeRecord[] = ['python', 'go'].flatMap((language) =>
    Array.from({ length: 24 }, (_, i) => {
      const v = words[i % words.length]!;
      const n = nouns[(i * 7) % nouns.length]!;
      return {
        repo: 'r',
        path: `${language}.src`,
        funcName: `f${i}`,
        language,
        code: `def ${v}_${n}_${i}(x):\n    return ${v}(${n}, x)`,
        docstring: `${v} the ${n}`,
        url: `u${i}`,
        partition: 'valid' as const,
      };
    }),
  );

  it('scores every fusion of the grid per language and picks the best macro MRR', async () => {
    const grid = [
      { method: 'rrf' as const, k: 1 },
      { method: 'rrf' as const, k: 60 },
      { method: 'weighted' as const, weight: 1 },
      { method: 'weighted' as const, weight: 0.3 },
    ];
    const t = await tuneFusion(new HashingEmbedder(64), records, { grid, maxPerLanguage: 20 });
    expect(t.languages).toEqual([
      { language: 'go', queries: 20 },
      { language: 'python', queries: 20 },
    ]);
    expect(t.fusions.map((f) => f.name)).toEqual(['rrf:1', 'rrf:60', 'weighted:1', 'weighted:0.3']);
    // With every candidate in the pool, weight 1 ranks by the model alone.
    expect(t.fusions[2]!.macro).toBeCloseTo(t.model.macro, 10);
    for (const row of [t.model, t.bm25, ...t.fusions]) {
      expect(row.macro).toBeCloseTo((row.mrr['go']! + row.mrr['python']!) / 2, 10);
      expect(row.macro).toBeGreaterThan(0);
      expect(row.macro).toBeLessThanOrEqual(1);
    }
    const best = Math.max(...t.fusions.map((f) => f.macro));
    expect(t.fusions.find((f) => f.macro === best)!.fusion).toEqual(t.best);
  });

  it('tunes on shortened queries: the content words of the first sentence only', async () => {
    // A second sentence that names another function's words misleads a ranker given the whole docstring.
    const misleading = records.map((r, i) => {
      const other = records[(i + 5) % records.length]!;
      return {
        ...r,
        docstring: `${r.docstring}. Unlike ${other.code.split('(')[0]!.slice(4)} in the module.`,
      };
    });
    const grid = [{ method: 'rrf' as const, k: 60 }];
    const whole = await tuneFusion(new HashingEmbedder(64), misleading, { grid, maxPerLanguage: 20 });
    const short = await tuneFusion(new HashingEmbedder(64), misleading, {
      grid,
      maxPerLanguage: 20,
      queries: 'shortened',
    });
    expect(whole.queries).toBe('docstring');
    expect(short.queries).toBe('shortened');
    expect(short.bm25.macro).toBeGreaterThan(whole.bm25.macro);
  });

  it('refuses data without pairs', async () => {
    await expect(tuneFusion(new HashingEmbedder(8), [])).rejects.toThrow(/no \(docstring, code\) pairs/);
  });
});
