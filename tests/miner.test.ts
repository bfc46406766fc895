// The miner on three synthetic repositories (tests/miner-fixtures.ts): the exact records per language, the
// skip and filter counts, the split by repository, the CodeSearchNet layout read back with zlib, the
// all-functions mode, the CLI and the cached default corpus.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/secora.js';
import {
  defaultCorpus,
  type MineReport,
  mineCorpus,
  mineFunctions,
  shardPath,
  splitOf,
} from '../src/data/miner/index.js';
import { emptyReport } from '../src/data/miner/report.js';
import { CodeSearchNetReader } from '../src/data/readers/codesearchnet.js';
import { type CodeRecord, SPLITS } from '../src/data/record.js';
import { SkipStats } from '../src/data/skip-stats.js';
import { FIXTURE_MAX_FILE_BYTES, makeRepositories } from './miner-fixtures.js';

const REPOS = ['alpha', 'beta', 'chi'];
let root: string;
let records: CodeRecord[];
let report: MineReport;

async function mineAll(
  options: { documentedOnly?: boolean } = {},
): Promise<{ records: CodeRecord[]; report: MineReport }> {
  const report = emptyReport('test');
  const seen = new Set<string>();
  const out: CodeRecord[] = [];
  for (const repo of REPOS)
    for await (const r of mineFunctions(join(root, repo), {
      ...options,
      report,
      seen,
      maxFileBytes: FIXTURE_MAX_FILE_BYTES,
    }))
      out.push(r);
  return { records: out, report };
}

beforeAll(async () => {
  root = makeRepositories();
  ({ records, report } = await mineAll());
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What a test compares: the fields that identify a pair. */
const pick = (r: CodeRecord) => ({
  repo: r.repo,
  path: r.path,
  funcName: r.funcName,
  docstring: r.docstring,
  code: r.code,
  startLine: r.startLine,
  endLine: r.endLine,
});
const byLanguage = (language: string) => records.filter((r) => r.language === language).map(pick);

describe('mineFunctions: the pairs of known files', () => {
  it('python: the docstring is the first paragraph, the code is without it, methods are qualified', () => {
    expect(byLanguage('python')).toEqual([
      {
        repo: 'alpha',
        path: 'pkg/parser.py',
        funcName: 'Parser.parse_args',
        docstring: 'Parse the command line arguments.',
        code: 'def parse_args(self, argv):\n    options = {}\n    for arg in argv:\n        options[arg] = True\n    return options',
        startLine: 13,
        endLine: 21,
      },
      {
        repo: 'alpha',
        path: 'pkg/parser.py',
        funcName: 'read_config',
        docstring: 'Read a configuration file and return its values.',
        code: 'def read_config(path, strict=False):\n    with open(path) as f:\n        return f.read()',
        startLine: 27,
        endLine: 30,
      },
      {
        repo: 'chi',
        path: 'lib/kept.py',
        funcName: 'mean',
        docstring: 'Compute the mean of a list of numbers.',
        code: 'def mean(values):\n    total = sum(values)\n    return total / len(values)',
        startLine: 1,
        endLine: 4,
      },
    ]);
    const parse = records.find((r) => r.funcName === 'Parser.parse_args')!;
    expect(parse.originalString).toBe(
      'def parse_args(self, argv):\n    """Parse the command line arguments.\n\n    Returns a namespace.\n    """\n' +
        '    options = {}\n    for arg in argv:\n        options[arg] = True\n    return options',
    );
  });

  it('javascript: JSDoc before declarations, methods, arrow functions, and over an annotation comment; tags dropped', () => {
    expect(byLanguage('javascript')).toEqual([
      {
        repo: 'alpha',
        path: 'web/util.js',
        funcName: 'joinPath',
        docstring: 'Joins the parts of a path with slashes.',
        code: "function joinPath(parts) {\n  const cleaned = parts.filter(Boolean);\n  return cleaned.join('/');\n}",
        startLine: 7,
        endLine: 10,
      },
      {
        repo: 'alpha',
        path: 'web/util.js',
        funcName: 'Store.get',
        docstring: 'Returns the value stored under a key, or the fallback.',
        code: 'get(key, fallback) {\n  const value = this.map.get(key);\n  return value === undefined ? fallback : value;\n}',
        startLine: 30,
        endLine: 33,
      },
      {
        repo: 'alpha',
        path: 'web/util.js',
        funcName: 'add',
        docstring: 'Adds two numbers together, carefully.',
        code: 'add = (a, b) => {\n  // a comment stays in the code\n  return a + b;\n}',
        startLine: 37,
        endLine: 40,
      },
      {
        repo: 'alpha',
        path: 'web/util.js',
        funcName: 'double',
        docstring: 'Doubles a number and returns the result.',
        code: 'function double(n) {\n  const twice = n * 2;\n  return twice;\n}',
        startLine: 48,
        endLine: 51,
      },
    ]);
  });

  it('typescript: exported and async functions, class methods', () => {
    expect(byLanguage('typescript').map((r) => [r.funcName, r.docstring, r.startLine, r.endLine])).toEqual([
      ['fetchWithRetry', 'Fetches a URL with retries and returns the body.', 6, 12],
      ['Client.send', 'Sends a request to the server and waits.', 16, 19],
    ]);
    expect(byLanguage('typescript')[1]!.code).toBe(
      'async send(body: string): Promise<void> {\n  await fetchWithRetry(body, { retries: 1 });\n  return;\n}',
    );
  });

  it('go: the // lines above a func, methods named by their receiver type', () => {
    expect(byLanguage('go')).toEqual([
      {
        repo: 'alpha',
        path: 'go/server.go',
        funcName: 'Start',
        docstring: 'Start starts the server on the given port. It blocks until the server stops.',
        code: 'func Start(port int) error {\n\taddr := fmt.Sprintf(":%d", port)\n\treturn http.ListenAndServe(addr, nil)\n}',
        startLine: 8,
        endLine: 11,
      },
      {
        repo: 'alpha',
        path: 'go/server.go',
        funcName: 'Server.Close',
        docstring: 'Close shuts the server down gracefully and waits.',
        code: 'func (s *Server) Close() error {\n\ts.mu.Lock()\n\tdefer s.mu.Unlock()\n\treturn s.ln.Close()\n}',
        startLine: 14,
        endLine: 18,
      },
    ]);
  });

  it('java: Javadoc before annotations, cut at <p>; bodiless interface methods skipped', () => {
    expect(byLanguage('java')).toEqual([
      {
        repo: 'beta',
        path: 'src/main/java/com/x/Calculator.java',
        funcName: 'Calculator.add',
        docstring: 'Adds a value to the base and returns the sum.',
        code: '@Override\npublic int add(int value) {\n    int sum = base + value;\n    return sum;\n}',
        startLine: 20,
        endLine: 24,
      },
    ]);
  });

  it('ruby: the # lines above a def, qualified by module and class, singleton methods too', () => {
    expect(byLanguage('ruby')).toEqual([
      {
        repo: 'beta',
        path: 'lib/greeter.rb',
        funcName: 'Greetings.Greeter.greet',
        docstring: 'Greets the person by name, politely.',
        code: 'def greet(punctuation)\n  message = "Hello, #{@name}"\n  message + punctuation\nend',
        startLine: 11,
        endLine: 14,
      },
      {
        repo: 'beta',
        path: 'lib/greeter.rb',
        funcName: 'Greetings.Greeter.default',
        docstring: 'Builds a default greeter for everyone.',
        code: 'def self.default\n  new("world")\nend',
        startLine: 17,
        endLine: 19,
      },
    ]);
  });

  it('php: PHPDoc before methods and functions', () => {
    expect(byLanguage('php')).toEqual([
      {
        repo: 'beta',
        path: 'src/Cache.php',
        funcName: 'Cache.put',
        docstring: 'Stores a value in the cache under the key.',
        code: 'public function put($key, $value)\n{\n    $this->items[$key] = $value;\n}',
        startLine: 14,
        endLine: 17,
      },
      {
        repo: 'beta',
        path: 'src/Cache.php',
        funcName: 'cache_key',
        docstring: 'Formats a cache key from its parts.',
        code: "function cache_key(array $parts): string\n{\n    return implode(':', $parts);\n}",
        startLine: 28,
        endLine: 31,
      },
    ]);
  });

  it('fills the CodeSearchNet extras: url, tokens, a content hash', () => {
    const r = records.find((x) => x.funcName === 'read_config')!;
    expect(r.url).toBe('file://alpha/pkg/parser.py#L27-L30');
    expect(r.docstringTokens).toEqual([
      'Read',
      'a',
      'configuration',
      'file',
      'and',
      'return',
      'its',
      'values',
      '.',
    ]);
    expect(r.codeTokens!.slice(0, 8)).toEqual([
      'def',
      'read_config',
      '(',
      'path',
      ',',
      'strict',
      '=',
      'False',
    ]);
    expect(r.sha).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('mineFunctions: skips and filters', () => {
  it('skips and counts each kind of bad or unwanted file, naming the first ones', () => {
    expect(report.skipped).toEqual({
      gitignored: 3, // alpha/build/, alpha/secret.py, chi/lib/generated_x.py (chi/lib/.gitignore)
      excluded: 0,
      vendored: 1, // alpha/node_modules/
      testFile: 3, // util.test.js, server_test.go, chi/tests/
      huge: 1,
      binary: 1,
      nonUtf8: 1,
      minified: 1,
      generated: 1,
      parseError: 1,
      unreadable: 0,
    });
    expect(report.skippedExamples.parseError).toEqual([join(root, 'beta', 'broken.py:1')]);
    expect(report.skippedExamples.nonUtf8).toEqual([join(root, 'beta', 'lib', 'latin1.rb')]);
    expect(report.skippedExamples.gitignored).toEqual([
      join(root, 'alpha', 'build'),
      join(root, 'alpha', 'secret.py'),
      join(root, 'chi', 'lib', 'generated_x.py'),
    ]);
    expect(report.files.read).toBe(15);
  });

  it('gives up a parse that takes too long, and counts it', async () => {
    const slow = emptyReport('test');
    for await (const _ of mineFunctions(join(root, 'alpha'), { report: slow, parseTimeoutMs: -1 }));
    expect(slow.skipped.parseError).toBe(3); // parser.py, util.js, server.go
    expect(slow.skippedExamples.parseError![0]).toBe(
      `${join(root, 'alpha', 'go', 'server.go')}: parse timed out`,
    );
  });

  it('drops each function by the first rule that applies', () => {
    expect(report.functions).toEqual({ found: 28, kept: 16 });
    expect(report.filtered).toEqual({
      undocumented: 4, // helper (py, go), undocumented (js: a blank line after its comment), __construct
      shortDocstring: 1, // tiny_doc: "Does stuff."
      shortFunction: 1, // short: 2 lines without its docstring
      testFunction: 1, // test_parse
      trivialConstructor: 4, // __init__, constructor, Calculator(int), initialize
      duplicate: 1, // chi's read_config
    });
    expect(records.filter((r) => r.repo === 'chi').map((r) => r.funcName)).toEqual(['mean']);
  });
});

describe('the split', () => {
  it('is by repository: every record of a repository is in that repository’s split', () => {
    const splits = new Map(REPOS.map((r) => [r, splitOf(r)]));
    expect([...splits.values()]).toEqual(['train', 'test', 'valid']);
    for (const r of records) expect(r.partition).toBe(splits.get(r.repo));
    expect(new Set(records.map((r) => r.partition))).toEqual(new Set(['train', 'valid', 'test']));
  });

  it('is stable: a second run gives the same records in the same order', async () => {
    const again = await mineAll();
    expect(again.records).toEqual(records);
  });

  it('splits a modules-layout tree by its top-level module; exclude patterns are counted apart', async () => {
    const units = new Map<string, string>();
    const excluding = emptyReport('test');
    for await (const r of mineFunctions(
      { dir: join(root, 'alpha'), layout: 'modules', exclude: ['web/'] },
      { report: excluding },
    ))
      units.set(r.path.split('/')[0]!, r.partition);
    expect(Object.fromEntries(units)).toEqual({ go: splitOf('alpha/go'), pkg: splitOf('alpha/pkg') });
    expect(excluding.skipped).toMatchObject({ excluded: 1, gitignored: 2 });
    expect(excluding.counts['javascript']).toBeUndefined();
  });
});

describe('every function, for a search index', () => {
  it('keeps undocumented functions, constructors, tests and duplicates', async () => {
    const all = await mineAll({ documentedOnly: false });
    const names = all.records.filter((r) => r.repo === 'beta').map((r) => `${r.language}:${r.funcName}`);
    expect(names).toEqual([
      'ruby:Greetings.Greeter.initialize',
      'ruby:Greetings.Greeter.greet',
      'ruby:Greetings.Greeter.default',
      'php:Cache.put',
      'php:Cache.__construct',
      'php:cache_key',
      'java:Calculator.Calculator',
      'java:Calculator.add',
      'typescript:fetchWithRetry',
      'typescript:Client.send',
    ]);
    expect(all.records.find((r) => r.funcName === 'Cache.__construct')!.docstring).toBe('');
    expect(all.report.skipped.testFile).toBe(0);
    expect(all.records.filter((r) => r.funcName === 'read_config')).toHaveLength(2);
    expect(all.records.some((r) => r.funcName === 'testJoin')).toBe(true);
  });
});

function readShard(file: string): Record<string, unknown>[] {
  return gunzipSync(readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

describe('mineCorpus: the CodeSearchNet layout', () => {
  it('writes <lang>/final/jsonl/<split>/<lang>_<split>_<n>.jsonl.gz and a manifest that load back', async () => {
    const out = join(root, 'out');
    const mined = await mineCorpus(
      REPOS.map((r) => join(root, r)),
      { out, maxFileBytes: FIXTURE_MAX_FILE_BYTES, shardSize: 2 },
    );
    expect(mined.counts).toEqual(report.counts);
    // Four JavaScript records in train with shards of 2: two files.
    const js0 = readShard(shardPath(out, 'javascript', 'train', 0));
    const js1 = readShard(shardPath(out, 'javascript', 'train', 1));
    expect([...js0, ...js1].map((o) => o['func_name'])).toEqual(['joinPath', 'Store.get', 'add', 'double']);
    expect(existsSync(shardPath(out, 'javascript', 'train', 2))).toBe(false);
    expect(Object.keys(js0[0]!).sort()).toEqual(
      [
        'code',
        'code_tokens',
        'docstring',
        'docstring_tokens',
        'end_line',
        'func_name',
        'language',
        'original_string',
        'partition',
        'path',
        'repo',
        'sha',
        'start_line',
        'url',
      ].sort(),
    );
    expect(js0[0]).toMatchObject({ repo: 'alpha', path: 'web/util.js', partition: 'train', start_line: 7 });
    expect(readdirSync(join(out, 'java', 'final', 'jsonl')).sort()).toEqual(['test', 'train', 'valid']);
    expect(readShard(shardPath(out, 'java', 'train', 0))).toEqual([]);
    let total = 0;
    for (const language of readdirSync(out).filter((f) => f !== 'manifest.json'))
      for (const split of readdirSync(join(out, language, 'final', 'jsonl')))
        for (const file of readdirSync(join(out, language, 'final', 'jsonl', split))) {
          expect(file).toMatch(new RegExp(`^${language}_${split}_\\d+\\.jsonl\\.gz$`));
          total += readShard(join(out, language, 'final', 'jsonl', split, file)).length;
        }
    expect(total).toBe(16);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.counts).toEqual(report.counts);
    expect(manifest.skipped).toEqual(report.skipped);
    expect(manifest.filtered.duplicate).toBe(1);
    // The project's CodeSearchNet reader loads every split of every language back.
    const loaded: CodeRecord[] = [];
    for (const split of SPLITS) {
      const reader = new CodeSearchNetReader(out, split);
      const stats = new SkipStats();
      for (const shard of await reader.shards())
        for await (const r of reader.readShard(shard, stats)) loaded.push(r);
    }
    const key = (r: CodeRecord) => `${r.language} ${r.partition} ${r.url} ${r.docstring} ${r.code}`;
    expect(loaded.map(key).sort()).toEqual(records.map(key).sort());
  });

  it('refuses an output folder that is not empty, and a root that does not exist', async () => {
    const out = join(root, 'full');
    mkdirSync(out);
    writeFileSync(join(out, 'x'), '');
    await expect(mineCorpus([join(root, 'alpha')], { out })).rejects.toThrow(
      `${out} already exists and is not empty`,
    );
    await expect(mineCorpus([join(root, 'nope')], { out: join(root, 'o2') })).rejects.toThrow(
      `no such folder to mine: ${join(root, 'nope')}`,
    );
  });
});

describe('secora corpus', () => {
  it('mines, prints the table and the skip counts; rejects an unknown language by name', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const out = join(root, 'cli-out');
      const code = await main(['corpus', join(root, 'beta'), '--out', out, '--langs', 'ruby,php']);
      expect(code).toBe(0);
      const printed = write.mock.calls.map((c) => String(c[0])).join('');
      expect(printed).toMatch(/php\s+0\s+0\s+2\s+2/);
      expect(printed).toMatch(/ruby\s+0\s+0\s+2\s+2/);
      expect(printed).toContain('nonUtf8 1');
      expect(existsSync(shardPath(out, 'ruby', 'test', 0))).toBe(true);
      await expect(main(['corpus', root, '--out', join(root, 'x'), '--langs', 'cobol'])).rejects.toThrow(
        '--langs: unknown cobol',
      );
    } finally {
      write.mockRestore();
    }
  });
});

describe('defaultCorpus', () => {
  it('mines once into the cache through a temporary folder, then reuses it', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'secora-cache-'));
    const nodeModules = join(root, 'fake_modules');
    const fn =
      '/**\n * Returns the answer to the question.\n */\nfunction answer() {\n  const a = 42;\n  return a;\n}\n';
    mkdirSync(join(nodeModules, 'pkg-a'), { recursive: true });
    writeFileSync(join(nodeModules, 'pkg-a', 'index.js'), fn);
    mkdirSync(join(nodeModules, '@scope', 'b', 'node_modules', 'nested'), { recursive: true });
    writeFileSync(
      join(nodeModules, '@scope', 'b', 'lib.js'),
      fn.replace('answer', 'other').replace('42', '7'),
    );
    writeFileSync(join(nodeModules, '@scope', 'b', 'node_modules', 'nested', 'x.js'), fn.replace('42', '1'));
    try {
      const options = { kind: 'local' as const, cacheDir, nodeModules, python: join(root, 'no-python-here') };
      const first = await defaultCorpus(options);
      expect(first.built).toBe(true);
      expect(first.report.counts).toEqual({
        javascript: { train: 2, valid: 0, test: 0 }, // pkg-a and @scope/b both hash to train
      });
      expect(first.report.skipped.vendored).toBe(1);
      expect(readdirSync(cacheDir)).toEqual([first.dir.split('/').pop()]);
      const [a, b] = readShard(shardPath(first.dir, 'javascript', 'train', 0));
      expect([a!['repo'], b!['repo']]).toEqual(['@scope/b', 'pkg-a']);
      const second = await defaultCorpus(options);
      expect(second).toEqual({
        dir: first.dir,
        report: JSON.parse(readFileSync(join(first.dir, 'manifest.json'), 'utf8')),
        built: false,
      });
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
