// The shipped questions files (test and validation): valid, big enough, spread over the three corpora, apart
// from each other, and every judged answer resolves to exactly one function the miner finds. Mining the whole standard libraries takes minutes, so
// the test mines only the files the answers name (copied out of the installed sources, with the corpus's
// own rules): the miner reads a file the same way whatever else is in the tree.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixedCorpora } from '../src/eval/questions/corpora.js';
import { loadCorpus } from '../src/eval/questions/corpus-cache.js';
import { readQuestions } from '../src/eval/questions/question-file.js';
import { resolveQuestions } from '../src/eval/questions/resolve.js';

const root = mkdtempSync(join(tmpdir(), 'secora-questions-file-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const read = (file: string) => readQuestions(join(import.meta.dirname, '..', 'questions', file));
const test = read('questions.jsonl');
const validation = read('validation.jsonl');

it('keeps the validation questions apart from the test questions', () => {
  const testIds = new Set(test.map((q) => q.id));
  const testQueries = new Set(test.map((q) => q.query));
  expect(validation.filter((q) => testIds.has(q.id) || testQueries.has(q.query))).toEqual([]);
});

const files: [string, typeof test, Record<string, number>][] = [
  ['questions.jsonl', test, { 'python-stdlib': 60, 'go-stdlib': 50, jdk: 40 }],
  ['validation.jsonl', validation, { 'python-stdlib': 30, 'go-stdlib': 30, jdk: 30 }],
];

describe.each(files)('questions/%s', (file, questions, least) => {
  it('has its questions spread over the three corpora, each with judged answers', () => {
    for (const [name, n] of Object.entries(least))
      expect(questions.filter((q) => q.corpus === name).length).toBeGreaterThanOrEqual(n);
    expect(new Set(questions.map((q) => q.query)).size).toBe(questions.length);
  });

  for (const corpus of fixedCorpora(join(root, 'unused'))) {
    const source = corpus.zip?.file ?? corpus.dir;
    it.skipIf(!existsSync(source))(
      `resolves every ${corpus.name} answer to one mined function`,
      async () => {
        const asked = questions.filter((q) => q.corpus === corpus.name);
        const paths = [...new Set(asked.flatMap((q) => q.answers.map((a) => a.path)))];
        const dir = join(root, `${file}-${corpus.name}`);
        if (corpus.zip) {
          execFileSync('unzip', ['-q', '-o', corpus.zip.file, ...paths, '-d', dir]);
        } else {
          for (const p of paths) {
            mkdirSync(dirname(join(dir, p)), { recursive: true });
            copyFileSync(join(corpus.dir, p), join(dir, p));
          }
        }
        const { zip: _zip, debianPackage: _pkg, ...rest } = corpus;
        const loaded = await loadCorpus({ ...rest, dir }, join(root, `cache-${file}`));
        const resolved = resolveQuestions(asked, new Map([[corpus.name, loaded.functions]]));
        expect(resolved.every((r) => r.judgments.size === r.question.answers.length)).toBe(true);
      },
      120_000,
    );
  }
});
