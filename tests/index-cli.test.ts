// secora index and search as a user meets them, on small trees: what is skipped and why, refusing bad
// paths, the default index location, the modes, filters and output of search.

import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexCommand } from '../src/cli/index-cmd.js';
import { progressLine, progressStep } from '../src/cli/progress.js';
import { searchCommand } from '../src/cli/search.js';
import { CodeIndex } from '../src/search/code-index.js';
import { collapseHits } from '../src/search/collapse-hits.js';
import { HashingEmbedder } from '../src/search/hashing-embedder.js';
import { defaultIndexFile, findIndexFor } from '../src/search/index-location.js';
import { pathMatcher } from '../src/search/path-glob.js';
import { runCommand } from './cli-run.js';

const tmp = mkdtempSync(join(tmpdir(), 'secora-index-cli-'));
const repo = join(tmp, 'repo');
const cache = join(tmp, 'cache');
const savedEnv = { dir: process.env['SECORA_INDEX_DIR'], server: process.env['SECORA_SERVER'] };
const cwd = process.cwd();
beforeAll(() => {
  process.env['SECORA_INDEX_DIR'] = cache;
  // No server is asked unless a test starts one (nothing listens on port 9 on a test machine).
  process.env['SECORA_SERVER'] = 'http://127.0.0.1:9';
});
afterAll(() => {
  process.chdir(cwd);
  for (const [key, value] of [
    ['SECORA_INDEX_DIR', savedEnv.dir],
    ['SECORA_SERVER', savedEnv.server],
  ] as const)
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  rmSync(tmp, { recursive: true, force: true });
});

function write(path: string, text: string): void {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), text);
}

const readJson =
  'def read_json_file(path):\n    """Read a JSON document."""\n    with open(path) as f:\n        return json.load(f)\n';
write('src/store.py', readJson);
// The same function bundled twice (as node_modules does): one hit, with the other place named.
const merge =
  'function mergeSortedArrays(left, right) {\n  const out = [];\n  while (left.length && right.length) out.push(left[0] < right[0] ? left.shift() : right.shift());\n  return out.concat(left, right);\n}\n';
write('dist/merge.js', merge);
write('browser/dist/merge.js', `\n\n${merge}`);
// A syntax error in one function: the others are kept, and the file is reported.
write(
  'src/partial.py',
  'def parse_config_text(text):\n    return dict(line.split("=") for line in text.splitlines())\n\n\ndef broken(:\n    pass\n\n\ndef format_config_text(values):\n    return "\\n".join(f"{k}={v}" for k, v in values.items())\n',
);
// A big file, skipped by --max-file-bytes and reported.
write('src/big.py', `def huge_function():\n${'    x = 1\n'.repeat(400)}`);
// A virtual environment (pyvenv.cfg) is skipped; a package named venv (the standard library's) is not.
write('env/pyvenv.cfg', 'home = /usr/bin\n');
write('env/lib/site.py', 'def inside_virtualenv():\n    return True\n');
write(
  'venv/__init__.py',
  'def create_environment(path):\n    """Create a virtual environment."""\n    return EnvBuilder().create(path)\n',
);
write('.gitignore', 'ignored.py\n');
write('ignored.py', 'def ignored_function():\n    return 1\n');

describe('secora index: skipped files, bad paths, the default location', () => {
  it('refuses a folder that does not exist and a plain file', async () => {
    const missing = await runCommand(indexCommand, [join(tmp, 'nope'), '--model', 'hashing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/secora index: .*nope does not exist/);
    const file = await runCommand(indexCommand, [join(repo, 'src/store.py'), '--model', 'hashing']);
    expect(file.code).toBe(1);
    expect(file.stderr).toMatch(/store\.py is a file, not a folder/);
    expect(statSync(cache, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('says what it skipped and why, keeps what a broken file still parses, writes to the cache', async () => {
    const r = await runCommand(indexCommand, [
      repo,
      '--model',
      'hashing',
      '--max-file-bytes',
      '2000',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown> & { skipped: Record<string, number> };
    expect(summary.index).toBe(defaultIndexFile(repo));
    expect(summary.index).toMatch(new RegExp(`^${cache}/repo-[0-9a-f]{16}\\.sidx$`));
    expect(summary.root).toBe(repo);
    expect(summary.skipped).toMatchObject({ huge: 1, parseError: 1, vendored: 1, gitignored: 1 });
    expect(r.stderr).toMatch(/^model: hashing:256$/m);
    expect(r.stderr).toMatch(
      /skipped: gitignored 1, vendored 1, huge 1, parseError 1 \(--verbose lists them\)/,
    );
    // The human summary goes to stderr with --json.
    expect(r.stderr).toMatch(/^built .*: 6 functions from 5 files/m);
    const names = CodeIndex.load(summary.index as string, new HashingEmbedder(256))
      .snippets()
      .map((s) => s.name)
      .sort();
    expect(names).toEqual([
      'create_environment',
      'format_config_text',
      'mergeSortedArrays',
      'mergeSortedArrays',
      'parse_config_text',
      'read_json_file',
    ]);
    expect(CodeIndex.describe(summary.index as string).root).toBe(repo);

    const verbose = await runCommand(indexCommand, [repo, '--rebuild', '--max-file-bytes', '2000', '-v']);
    expect(verbose.stderr).toContain(`skipped vendored: ${join(repo, 'env')}`);
    expect(verbose.stderr).toContain(`skipped gitignored: ${join(repo, 'ignored.py')}`);
    expect(verbose.stderr).toContain(`skipped huge: ${join(repo, 'src/big.py')}`);
    expect(verbose.stderr).toMatch(/skipped parseError: .*partial\.py:5 \(kept 2 of 3 functions\)/);
    // Re-indexing without --model keeps the index's own model and says so.
    expect(verbose.stderr).toMatch(
      /^model: hashing:256 \(the model that built the existing index; --model chooses another\)$/m,
    );
  });

  it('search finds the index of the folder it runs in, or of a folder above', async () => {
    const sub = join(repo, 'src');
    expect(findIndexFor(sub)).toBe(defaultIndexFile(repo));
    expect(findIndexFor(tmp)).toBeUndefined();
    process.chdir(sub);
    try {
      const r = await runCommand(searchCommand, ['read a json document', '-k', '1']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^src\/store\.py:1 {2}\S+ {2}read_json_file\n/);
    } finally {
      process.chdir(cwd);
    }
    process.chdir(tmp);
    try {
      const none = await runCommand(searchCommand, ['anything']);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(
        /no index for .* or a folder above it: make one with 'secora index <folder>'/,
      );
    } finally {
      process.chdir(cwd);
    }
  });
});

/** `secora search QUERY --index FILE --mode bm25 …rest` (words alone: no model is loaded). */
const bm25Search = (query: string, index: string, ...rest: string[]) =>
  runCommand(searchCommand, [query, '--index', index, '--mode', 'bm25', ...rest]);

describe('secora search: modes, filters, context, copies, a running server', () => {
  it('ranks by BM25 without loading any model', async () => {
    // An index whose model folder does not exist: dense search cannot run, BM25 can.
    const hashing = new HashingEmbedder(64);
    const gone = { modelId: 'gone-model', dim: 64, embed: (t: string[]) => hashing.embed(t) };
    const file = join(tmp, 'gone.sidx');
    const index = await CodeIndex.build(gone, CodeIndex.load(defaultIndexFile(repo), null).snippets(), {
      modelSource: join(tmp, 'no-such-model'),
    });
    index.root = repo;
    index.save(file);
    const bm25 = await bm25Search('merge sorted arrays', file, '-k', '1');
    expect(bm25.code).toBe(0);
    expect(bm25.stdout).toMatch(
      /^browser\/dist\/merge\.js:3 {2}\S+ {2}mergeSortedArrays|^dist\/merge\.js:1 {2}\S+ {2}mergeSortedArrays/,
    );
    const dense = await runCommand(searchCommand, [
      'merge sorted arrays',
      '--index',
      file,
      '--mode',
      'dense',
    ]);
    expect(dense.code).toBe(1);
    expect(dense.stderr).toMatch(/model folder not found: .*no-such-model/);
    const bad = await runCommand(searchCommand, ['x', '--index', file, '--mode', 'fuzzy']);
    expect(bad.stderr).toMatch(/--mode must be dense, bm25 or hybrid, got 'fuzzy'/);
  });

  it('folds copies of one function into one hit, or shows all with --all', async () => {
    const r = await bm25Search('merge sorted arrays or read json', defaultIndexFile(repo), '-k', '2');
    const heads = r.stdout.split('\n').filter((l) => /^\S+:\d+ {2}/.test(l));
    expect(heads).toHaveLength(2);
    expect(heads.filter((h) => h.endsWith('mergeSortedArrays'))).toHaveLength(1);
    expect(heads.filter((h) => h.endsWith('read_json_file'))).toHaveLength(1);
    expect(r.stdout).toMatch(/\(the same code also at (browser\/)?dist\/merge\.js:\d\)/);
    const all = await bm25Search('merge sorted arrays', defaultIndexFile(repo), '-k', '2', '--all');
    expect(all.stdout.split('\n').filter((l) => /mergeSortedArrays$/.test(l))).toHaveLength(2);
    expect(
      collapseHits(
        [
          {
            path: 'a.js',
            startLine: 1,
            endLine: 1,
            name: 'f',
            language: 'javascript',
            code: 'f() {\n  x }',
            score: 3,
            id: 0,
          },
          {
            path: 'b.js',
            startLine: 9,
            endLine: 9,
            name: 'f',
            language: 'javascript',
            code: 'f() { x }',
            score: 2,
            id: 1,
          },
          {
            path: 'c.js',
            startLine: 1,
            endLine: 1,
            name: 'g',
            language: 'javascript',
            code: 'g()',
            score: 1,
            id: 2,
          },
        ],
        1,
      ),
    ).toEqual([expect.objectContaining({ path: 'a.js', alsoAt: [{ path: 'b.js', startLine: 9 }] })]);
  });

  it('filters by path glob, shows context from the file, prints the whole code in --json', async () => {
    const file = defaultIndexFile(repo);
    const r = await bm25Search('config text', file, '--path', 'src/**', '--json');
    const hits = JSON.parse(r.stdout) as { path: string; code: string; context?: unknown }[];
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) expect(h.path.startsWith(join(repo, 'src/'))).toBe(true);
    const py = await bm25Search('merge', file, '--path', '*.py', '--json');
    for (const h of JSON.parse(py.stdout) as { path: string }[]) expect(h.path).toMatch(/\.py$/);

    const ctx = await bm25Search('read json document', file, '-k', '1', '--context', '0');
    expect(ctx.stdout).toContain('     1  def read_json_file(path):');
    expect(ctx.stdout).toContain('     4          return json.load(f)');
    const json = await bm25Search('read json document', file, '-k', '1', '--json', '--context', '1');
    const [hit] = JSON.parse(json.stdout) as { code: string; context: { from: number; lines: string[] } }[];
    expect(hit!.code).toBe(readJson.trimEnd());
    expect(hit!.context.from).toBe(1);
    expect(hit!.context.lines.slice(0, 4).join('\n')).toBe(readJson.trimEnd());

    expect(pathMatcher('src/**')('src/a/b.py')).toBe(true);
    expect(pathMatcher('src/**')('lib/src/b.py')).toBe(false);
    expect(pathMatcher('*.py')('a/b/c.py')).toBe(true);
    expect(pathMatcher('src/*.py')('src/a/c.py')).toBe(false);
    expect(pathMatcher('src/')('src/a/c.py')).toBe(true);
  });

  it('asks a running secora serve of the same index first (POST /search after GET /health)', async () => {
    const file = defaultIndexFile(repo);
    const asked: unknown[] = [];
    // A server speaking secora serve's HTTP contract; it answers one hit of its own, so its use shows.
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        if (req.url === '/health') res.end('{"ok":true}');
        else if (req.url === '/stats') res.end(JSON.stringify({ index: { file } }));
        else if (req.url === '/search') {
          asked.push(JSON.parse(body));
          res.end(
            JSON.stringify({
              hits: [
                {
                  path: 'from/server.py',
                  startLine: 7,
                  endLine: 8,
                  name: 'served',
                  language: 'python',
                  code: 'def served():\n    pass',
                  score: 0.5,
                },
              ],
              mode: 'bm25',
              tookMs: 1,
            }),
          );
        } else res.writeHead(404).end('{}');
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    try {
      const via = await bm25Search('anything', file, '-k', '1', '--server', `http://127.0.0.1:${port}`);
      expect(via.stdout).toMatch(/^from\/server\.py:7 {2}0\.5000 {2}served/);
      expect(asked).toEqual([{ query: 'anything', k: 4, mode: 'bm25' }]);
      // Another index than the one the server holds: searched here.
      const other = join(tmp, 'gone.sidx');
      const local = await bm25Search(
        'merge sorted',
        other,
        '-k',
        '1',
        '--server',
        `http://127.0.0.1:${port}`,
      );
      expect(local.stdout).toMatch(/mergeSortedArrays/);
      const off = await bm25Search(
        'merge sorted',
        file,
        '-k',
        '1',
        '--server',
        `http://127.0.0.1:${port}`,
        '--no-server',
      );
      expect(off.stdout).toMatch(/mergeSortedArrays/);
      expect(asked).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});

describe('progress', () => {
  it('shows count, rate and ETA, redrawn on a terminal and as plain lines elsewhere', () => {
    expect(progressLine('parsing', 'files', 50, 200, 2)).toBe('parsing 50/200 files  25/s  ETA 6s');
    expect(progressLine('walking', 'files', 30, undefined, 10)).toBe('walking 30 files  3.0/s');
    let t = 0;
    let out = '';
    const step = progressStep('lines', 'embedding', 'functions', { write: (s) => (out += s) }, () => t);
    for (let i = 1; i <= 10; i++) {
      t = i * 1000;
      step.update(i * 10, 100);
    }
    step.finish();
    // Lines mode draws every 5 s and at the end.
    expect(out.split('\n').filter(Boolean)).toEqual([
      'embedding 50/100 functions  10/s  ETA 5s',
      'embedding 100/100 functions  10/s',
      'embedding 100 functions in 10.0 s',
    ]);
    // A step without a count says what it does, and how long it took.
    expect(progressLine('building faiss', 'steps', 0, undefined, 3)).toBe('building faiss…');
    let faiss = '';
    t = 0;
    const build = progressStep('lines', 'building faiss', 'steps', { write: (s) => (faiss += s) }, () => t);
    build.update(0, undefined);
    t = 7000;
    build.finish();
    expect(faiss).toBe('building faiss in 7.0 s\n');
    let tty = '';
    let clock = 0;
    const bar = progressStep('tty', 'parsing', 'files', { write: (s) => (tty += s) }, () => clock);
    clock = 1000;
    bar.update(1, 4);
    clock = 1050;
    bar.update(2, 4); // within 100 ms of the last line: not drawn
    bar.finish('parsed 4 files');
    expect(tty).toBe('\r\x1b[Kparsing 1/4 files  1.0/s  ETA 3s\r\x1b[Kparsed 4 files\n');
    let quiet = '';
    const off = progressStep('off', 'x', 'y', { write: (s) => (quiet += s) });
    off.update(1, 2);
    off.finish();
    expect(quiet).toBe('');
  });
});
