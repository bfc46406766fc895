import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { evalCommand } from '../src/cli/eval.js';
import { parseCsv, readAnnotations } from '../src/eval/annotations.js';
import { csnBm25Mrr, csnMrr } from '../src/eval/csn-protocol.js';
import { HashingEmbedder } from '../src/search/hashing-embedder.js';
import { runCommand } from './cli-run.js';

const root = mkdtempSync(join(tmpdir(), 'secora-eval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const verbs = ['read', 'write', 'merge', 'split', 'sort', 'hash', 'parse', 'encode'];
const nouns = ['user', 'config', 'token', 'record', 'date', 'socket', 'cache', 'image'];

interface Pair {
  docstring: string;
  code: string;
  url: string;
}

/** Pairs whose docstring and code share words, in CodeSearchNet's jsonl.gz layout. */
function writeLanguage(language: string, n: number): Pair[] {
  const pairs = Array.from({ length: n }, (_, i) => {
    const v = verbs[i % 8]!;
    // Pairs 24 apart look the same: ties, ranked against the model, make the MRR depend on the chunks.
    const o = nouns[i % 3]!;
    return {
      docstring: `${v} the ${o} value`,
      code: `def ${v}_${o}_${i}(value):\n    return ${v}(${o}, value)`,
      url: `https://github.com/o/r/blob/x/${language}.py#L${i}`,
    };
  });
  const dir = join(root, language, 'final', 'jsonl', 'test');
  mkdirSync(dir, { recursive: true });
  const lines = pairs.map((p, i) =>
    JSON.stringify({
      repo: 'o/r',
      path: `${language}.py`,
      func_name: `f${i}`,
      original_string: `${p.code}\n    # ${p.docstring}`,
      language,
      code: p.code,
      code_tokens: p.code.split(/\W+/),
      docstring: p.docstring,
      docstring_tokens: p.docstring.split(' '),
      sha: 'x',
      partition: 'test',
      url: p.url,
    }),
  );
  writeFileSync(join(dir, `${language}_test_0.jsonl.gz`), gzipSync(`${lines.join('\n')}\n`));
  return pairs;
}

const python = writeLanguage('python', 30);
const go = writeLanguage('go', 12);

async function run(argv: string[]) {
  let stdout = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
    stdout += String(c);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await evalCommand(argv), stdout };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('secora eval', () => {
  it('reads annotation CSV with quotes, and skips a bad row with its line', () => {
    expect(parseCsv('a,b\n"x, ""y""",2\r\n"multi\nline",3\n').map((r) => [r.row, r.line])).toEqual([
      [['a', 'b'], 1],
      [['x, "y"', '2'], 2],
      [['multi\nline', '3'], 3],
    ]);
    const file = join(root, 'bad.csv');
    writeFileSync(file, 'Language,Query,GitHubUrl,Relevance,Notes\nPython,q,u,7,\nPython,q,u,2,\n');
    const read = readAnnotations(file);
    expect(read.annotations).toEqual([{ language: 'python', query: 'q', url: 'u', relevance: 2 }]);
    expect(read.skipped).toEqual({ count: 1, examples: [`${file}:2: Relevance '7' is not 0–3`] });
  });

  it('reports the chunked MRR per language with BM25, corpus retrieval and annotations', async () => {
    const csv = join(root, 'annotationStore.csv');
    writeFileSync(
      csv,
      'Language,Query,GitHubUrl,Relevance,Notes\n' +
        `Python,merge user,${python[18]!.url},3,\n` +
        `Python,merge user,${python[10]!.url},1,\n` +
        `Python,merge user,https://example.com/not-in-data,2,\n` +
        `Go,sort the date,${go[4]!.url},2,"a ""note"", quoted"\n`,
    );
    const out = join(root, 'report.json');
    const args = [
      'hashing',
      root,
      '--chunk',
      '10',
      '--seed',
      '3',
      '--corpus',
      '--annotations',
      csv,
      '--out',
      out,
    ];
    const { code, stdout } = await run(args);
    expect(code).toBe(0);
    expect(stdout).toMatch(/chunks of 10, seed 3, incomplete last chunk dropped/);
    expect(stdout).toMatch(/^macro\s/m);
    expect(stdout).toContain('1 annotated urls are not in the evaluated data');
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.languages.map((l: { language: string; pairs: number }) => [l.language, l.pairs])).toEqual([
      ['go', 12],
      ['python', 30],
    ]);

    // The same numbers from the library functions directly: the CLI wires data, chunks and direction right.
    const e = new HashingEmbedder(256);
    const protocol = { chunkSize: 10, seed: 3 };
    for (const [i, pairs] of [go, python].entries()) {
      const docs = pairs.map((p) => p.docstring);
      const codes = pairs.map((p) => p.code);
      const dense = csnMrr(await e.embed(docs), await e.embed(codes), protocol);
      expect(report.languages[i].csn.model).toEqual(dense);
      expect(report.languages[i].csn.bm25).toEqual(csnBm25Mrr(docs, codes, protocol));
    }
    expect(report.languages[0].csn.model).toMatchObject({ queries: 10, chunks: 1, dropped: 2 });
    expect(report.languages[1].csn.model.mrr).toBeLessThan(1);
    expect(report.languages[1].csn.model.mrr).toBeGreaterThan(0.5);
    expect(report.macro.csn.model).toBeCloseTo(
      (report.languages[0].csn.model.mrr + report.languages[1].csn.model.mrr) / 2,
      12,
    );
    const corpus = report.languages[1].corpus;
    expect(corpus.model.queries).toBe(30);
    expect(corpus.model.candidates).toBe(30);
    for (const r of [corpus.model, corpus.bm25, corpus.hybrid]) {
      expect(r.recall[1]).toBeLessThanOrEqual(r.recall[5]);
      expect(r.recall[5]).toBeLessThanOrEqual(r.recall[10]);
      expect(r.mrr).toBeGreaterThanOrEqual(r.recall[1]);
    }
    expect(report.languages[1].annotations).toMatchObject({ judged: 2, missing: 1 });
    expect(report.languages[1].annotations.model.ndcg10).toBeGreaterThan(0);
    expect(report.languages[0].annotations.model.queries).toBe(1);
  });

  it('evaluates code-to-query on request and keeps the last chunk when asked', async () => {
    const out = join(root, 'reverse.json');
    await run([
      'hashing',
      root,
      '--lang',
      'go',
      '--chunk',
      '5',
      '--keep-last',
      '--direction',
      'code-to-query',
      '--out',
      out,
    ]);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const e = new HashingEmbedder(256);
    // No --seed and no run folder: the config's default seed, 42, as training uses.
    const expected = csnMrr(await e.embed(go.map((p) => p.code)), await e.embed(go.map((p) => p.docstring)), {
      chunkSize: 5,
      seed: 42,
      incompleteChunk: 'keep',
    });
    expect(report.direction).toBe('code-to-query');
    expect(report.languages[0].csn.model).toEqual({ ...expected, chunks: 3, dropped: 0, queries: 12 });
    await expect(run(['hashing', root, '--direction', 'sideways'])).rejects.toThrow(/--direction must be/);
  });

  it('ranks a split smaller than a chunk as one chunk and says so, or drops it and says why', async () => {
    const small = await runCommand(evalCommand, ['hashing', root, '--lang', 'go', '--chunk', '20']);
    expect(small.code).toBe(0);
    expect(small.stdout).toMatch(/^go\s+12\s+12\s+12\s/m);
    expect(small.stdout).toContain('go: 12 pairs, fewer than a chunk of 20: ranked as one chunk of 12');
    const dropped = await runCommand(evalCommand, [
      'hashing',
      root,
      '--lang',
      'go',
      '--chunk',
      '20',
      '--small-split',
      'protocol',
    ]);
    expect(dropped.stdout).toMatch(/^go\s+12\s+20\s+0\s+-\s+-$/m);
    expect(dropped.stdout).toMatch(
      /go: 12 pairs, fewer than a chunk of 20, so none was ranked: .*--keep-last/,
    );
  });

  it('writes a file only with --out; --json puts the report on stdout and the table on stderr', async () => {
    const here = mkdtempSync(join(tmpdir(), 'secora-eval-cwd-'));
    const cwd = process.cwd();
    process.chdir(here);
    try {
      const r = await runCommand(evalCommand, ['hashing', root, '--lang', 'python', '--json']);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.languages[0]).toMatchObject({ language: 'python', pairs: 30, candidates: 30 });
      expect(report.protocol).toEqual({ chunkSize: 1000, seed: 42, incompleteChunk: 'drop' });
      expect(r.stderr).toMatch(/^python\s+30\s+30\s+30\s/m);
      expect(readdirSync(here)).toEqual([]);
      const usage = await runCommand(evalCommand, ['hashing', root, '--bogus']);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/Unknown option '--bogus'[\s\S]*usage: secora eval/);
    } finally {
      process.chdir(cwd);
      rmSync(here, { recursive: true, force: true });
    }
  });
});
