// The index and the CLIs with the real Encoder (a tiny random BERT saved as a model folder), not a stand-in.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { indexCommand } from '../src/cli/index-cmd.js';
import { searchCommand } from '../src/cli/search.js';
import { Encoder } from '../src/model/encoder.js';
import { CodeIndex, ModelMismatchError } from '../src/search/code-index.js';
import { tinyConfig, wordTokenizer } from './encoder-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'secora-index-encoder-'));
const repo = join(root, 'repo');
const modelA = join(root, 'model-a');
const modelB = join(root, 'model-b');
const out = join(root, 'repo.sidx');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const words = [
  'def',
  'return',
  'open',
  'read',
  'json',
  'file',
  'path',
  'socket',
  'sort',
  'list',
  '(',
  ')',
  ':',
];

beforeAll(async () => {
  for (const [dir, seed] of [
    [modelA, 1],
    [modelB, 2],
  ] as const) {
    const encoder = await Encoder.create(tinyConfig({ pooling: 'cls_projection', embeddingSize: 8 }), {
      seed,
      tokenizer: wordTokenizer(words),
    });
    await encoder.save(dir);
    await encoder.dispose();
  }
  mkdirSync(repo);
  writeFileSync(
    join(repo, 'lib.py'),
    'def read_json(path):\n    return json.load(open(path))\n\n\ndef sort_list(xs):\n    return sorted(xs)\n',
  );
});

async function run(command: (argv: string[]) => Promise<number>, argv: string[]) {
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
    stdout += String(c);
    return true;
  });
  try {
    return { code: await command(argv), stdout };
  } finally {
    spy.mockRestore();
  }
}

describe('CodeIndex with the real Encoder', () => {
  it('indexes with a model folder, searches with the model recorded in the index, refuses another', async () => {
    const built = await run(indexCommand, [repo, '--model', modelA, '--out', out, '-q']);
    expect(built.stdout).toMatch(/built .*: 2 functions from 1 files \(Flat, model \S+, embeds doc-code\)/);
    const info = CodeIndex.describe(out);
    expect(info).toMatchObject({ dim: 8, modelSource: modelA, snippets: 2 });

    const found = await run(searchCommand, ['read json file', '--index', out, '--mode', 'dense', '--json']);
    const hits = JSON.parse(found.stdout) as { name: string; score: number }[];
    expect(hits.map((h) => h.name).sort()).toEqual(['read_json', 'sort_list']);
    for (const h of hits) expect(Math.abs(h.score)).toBeLessThanOrEqual(1 + 1e-5);

    const a = await Encoder.load(modelA);
    const b = await Encoder.load(modelB);
    try {
      expect(a.modelId).toBe(info.modelId);
      expect(CodeIndex.load(out, a).size).toBe(2);
      expect(b.dim).toBe(a.dim);
      expect(() => CodeIndex.load(out, b)).toThrow(ModelMismatchError);
    } finally {
      await a.dispose();
      await b.dispose();
    }
    await expect(
      run(searchCommand, ['read', '--index', out, '--mode', 'dense', '--model', modelB]),
    ).rejects.toThrow(/cannot be searched with '\S+' \(dim 8\): use the model that built it/);
  });
});
