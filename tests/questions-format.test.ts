import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { QuestionCorpus } from '../src/eval/questions/corpora.js';
import { loadCorpus } from '../src/eval/questions/corpus-cache.js';
import { parseQuestions, QuestionFileError } from '../src/eval/questions/question-file.js';
import { resolveQuestions } from '../src/eval/questions/resolve.js';
import { parseFusion } from '../src/search/fusion.js';
import { FIXTURE_QUESTIONS, writeFixtureCorpus } from './questions-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'secora-questions-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const good = JSON.stringify({
  id: 'a',
  corpus: 'python-stdlib',
  query: 'python copy file',
  answers: [{ path: 'shutil.py', name: 'copyfile', line: 226 }],
});

function problemsOf(text: string): readonly string[] {
  try {
    parseQuestions(text, 'q.jsonl');
  } catch (error) {
    if (error instanceof QuestionFileError) return error.problems;
    throw error;
  }
  return [];
}

describe('the questions file', () => {
  it('reads questions, skipping blank and # lines, with grade 3 by default', () => {
    const qs = parseQuestions(`# a comment\n\n${good}\n`, 'q.jsonl');
    expect(qs).toEqual([
      {
        id: 'a',
        corpus: 'python-stdlib',
        query: 'python copy file',
        answers: [{ path: 'shutil.py', name: 'copyfile', line: 226, grade: 3 }],
        at: 'q.jsonl:3',
      },
    ]);
  });

  it('names every bad line by file, line and field', () => {
    const lines = [
      good,
      '{"id": "b", "corpus": "go-stdlib", "query": "x"', // not JSON
      '{"id": "c", "corpus": "go-stdlib", "query": "", "answers": [{"path": "a.go", "name": "F"}]}',
      '{"id": "d", "corpus": "go-stdlib", "query": "x", "answers": []}',
      '{"id": "e", "corpus": "go-stdlib", "query": "x", "answers": [{"path": "a.go", "name": "F", "grade": 5}]}',
      '{"id": "f", "corpus": "go-stdlib", "query": "x", "answers": [{"path": "/abs.go", "name": "F", "line": 0}]}',
      '{"id": "a", "corpus": "go-stdlib", "query": "x", "answers": [{"path": "a.go", "name": "F"}], "extra": 1}',
      '[1, 2]',
    ];
    const problems = problemsOf(lines.join('\n'));
    expect(problems[0]).toMatch(/^q\.jsonl:2: not JSON/);
    expect(problems.slice(1)).toEqual([
      'q.jsonl:3: query: must be a non-empty string',
      'q.jsonl:4: answers: must be a non-empty list of {path, name, line?, grade?}',
      'q.jsonl:5: answers[0].grade: must be 1, 2 or 3, got 5',
      "q.jsonl:6: answers[0].path: must be relative to the corpus root, got '/abs.go'",
      'q.jsonl:6: answers[0].line: must be an integer >= 1, got 0',
      'q.jsonl:7: extra: unknown field',
      "q.jsonl:7: id: 'a' is already used at q.jsonl:1",
      'q.jsonl:8: must be a JSON object',
    ]);
  });

  it('refuses a file without questions', () => {
    expect(problemsOf('# nothing\n')).toEqual(['q.jsonl: no questions']);
  });

  it('parses fusion specs and names a bad one', () => {
    expect(parseFusion('rrf:10')).toEqual({ method: 'rrf', k: 10 });
    expect(parseFusion('weighted:0.7')).toEqual({ method: 'weighted', weight: 0.7 });
    expect(() => parseFusion('weighted:2')).toThrow(/weight must be in \[0, 1\]/);
    expect(() => parseFusion('max')).toThrow(/expected rrf\[:K\] or weighted\[:W\]/);
  });
});

describe('judged answers', () => {
  const dir = writeFixtureCorpus(join(root, 'fix'));
  const corpus: QuestionCorpus = { name: 'fix', language: 'python', dir, layout: 'modules', exclude: [] };

  it('resolve to exactly one mined function, the line hint picking among same-named ones', async () => {
    const loaded = await loadCorpus(corpus, join(root, 'cache'));
    const text = FIXTURE_QUESTIONS.map((q) => JSON.stringify(q)).join('\n');
    const resolved = resolveQuestions(parseQuestions(text, 'f.jsonl'), new Map([['fix', loaded.functions]]));
    const named = resolved.map((r) =>
      [...r.judgments].map(([i, g]) => `${loaded.functions[i]!.name}@${loaded.functions[i]!.startLine}:${g}`),
    );
    expect(named).toEqual([
      ['slugify@17:3'],
      ['free_space@12:3', 'free_space@6:2'],
      ['Counter.most_frequent@28:3'],
    ]);
    // The second load reads the cache: the same functions.
    expect((await loadCorpus(corpus, join(root, 'cache'))).functions).toEqual(loaded.functions);
  });

  it('name each answer that does not resolve, and why', async () => {
    const { functions } = await loadCorpus(corpus, join(root, 'cache'));
    const q = (answers: object[]) =>
      JSON.stringify({ id: `q${Math.random()}`, corpus: 'fix', query: 'x', answers });
    const text = [
      q([{ path: 'fsutil.py', name: 'free_space' }]),
      q([{ path: 'fsutil.py', name: 'slugify' }]),
      q([{ path: 'textutil.py', name: 'wrap_line' }]),
      q([{ path: 'nope.py', name: 'f' }]),
      q([
        { path: 'textutil.py', name: 'slugify' },
        { path: 'textutil.py', name: 'slugify', line: 3 },
      ]),
      JSON.stringify({ id: 'z', corpus: 'other', query: 'x', answers: [{ path: 'a', name: 'b' }] }),
    ].join('\n');
    expect(() => resolveQuestions(parseQuestions(text, 'f.jsonl'), new Map([['fix', functions]]))).toThrow(
      [
        'judged answers that do not resolve:',
        '  f.jsonl:1: answers[0]: 2 functions free_space in fsutil.py (lines 6, 12): add "line" to pick one',
        '  f.jsonl:2: answers[0]: no mined function slugify in fsutil.py (that name is in textutil.py)',
        '  f.jsonl:3: answers[0]: no mined function wrap_line in textutil.py (the file has other functions: a typo?)',
        '  f.jsonl:4: answers[0]: no mined function f in nope.py (no function of that file was mined)',
        '  f.jsonl:5: answers[1]: the same function as an earlier answer',
        "  f.jsonl:6: corpus: unknown corpus 'other' (known: fix)",
      ].join('\n'),
    );
  });
});
