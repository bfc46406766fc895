import { mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { indexCommand } from '../src/cli/index-cmd.js';
import { searchCommand } from '../src/cli/search.js';
import { Encoder } from '../src/model/encoder.js';
import { CodeIndex } from '../src/search/code-index.js';
import { planReindex } from '../src/search/reindex-plan.js';
import { chooseTrainedModel, resolveModel } from '../src/search/resolve-model.js';
import { runCommand } from './cli-run.js';
import { tinyConfig, wordTokenizer } from './encoder-helpers.js';
import { SNIPPETS } from './search-fixtures.js';

const repo = mkdtempSync(join(tmpdir(), 'secora-repo-'));
const out = join(repo, 'idx.sidx');
afterAll(() => rmSync(repo, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), text);
}

/** Runs a command, returning its exit code and what it printed. */
async function run(command: (argv: string[]) => Promise<number>, argv: string[]) {
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  try {
    return { code: await command(argv), stdout };
  } finally {
    spy.mockRestore();
  }
}

write(
  'pkg/storage.py',
  `import json


def read_json_file(path):
    """Read a JSON document from a file."""
    with open(path) as f:
        return json.load(f)


def write_json_file(path, value):
    """Write a value to a file as JSON."""
    with open(path, "w") as f:
        json.dump(value, f)
`,
);
write(
  'web/net.js',
  `// Networking helpers.
function openSocketConnection(host, port) {
  return net.createConnection({ host, port });
}

function closeSocketConnection(socket) {
  socket.end();
  socket.destroy();
}
`,
);
write(
  'util/text.py',
  `def slugify_title(title):
    """Turn a title into a url slug."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower())
`,
);

describe('secora index and secora search on a tiny repository', () => {
  it('plans re-indexing from content hashes', () => {
    const before = new Map([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
    const now = new Map([
      ['a', '1'],
      ['b', '9'],
      ['d', '4'],
    ]);
    expect(planReindex(before, now)).toEqual({
      unchanged: ['a'],
      changed: ['b'],
      added: ['d'],
      removed: ['c'],
    });
  });

  it('indexes, searches, and re-embeds only what changed', async () => {
    const built = await run(indexCommand, [repo, '--model', 'hashing', '--out', out, '-q']);
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(
      /built .*idx\.sidx: 5 functions from 3 files \(Flat, model hashing-bag-of-subtokens/,
    );
    expect(built.stdout).toMatch(
      /3 added, 0 changed, 0 removed, 0 unchanged; mined in [\d.]+ s; 5 functions embedded/,
    );

    const text = await run(searchCommand, ['read', 'json', 'file', '--index', out, '-k', '2']);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^pkg\/storage\.py:4 {2}\d\.\d{4} {2}read_json_file$/);
    expect(lines[1]).toBe('    def read_json_file(path):');
    expect(text.stdout.match(/^\S+:\d+ {2}/gm)).toHaveLength(2);

    const json = await run(searchCommand, [
      'open socket connection to host and port',
      '--index',
      out,
      '--json',
      '--lang',
      'javascript',
    ]);
    const hits = JSON.parse(json.stdout) as {
      path: string;
      name: string;
      relativePath: string;
      startLine: number;
      code: string;
    }[];
    // --json: absolute paths (and the one relative to the indexed folder), the whole function.
    expect(hits.map((h) => h.path)).toEqual([join(repo, 'web/net.js'), join(repo, 'web/net.js')]);
    expect(hits.map((h) => h.relativePath)).toEqual(['web/net.js', 'web/net.js']);
    expect(hits[0]).toMatchObject({ name: 'openSocketConnection', startLine: 2 });
    expect(hits[0]!.code).toBe(
      'function openSocketConnection(host, port) {\n  return net.createConnection({ host, port });\n}',
    );

    const hybrid = await run(searchCommand, ['slug', '--index', out, '--hybrid', '-k', '1']);
    expect(hybrid.stdout).toMatch(/^util\/text\.py:1 {2}\S+ {2}slugify_title/);
    const bm25 = await run(searchCommand, ['slugify', 'title', '--index', out, '--mode', 'bm25', '--json']);
    expect((JSON.parse(bm25.stdout) as { name: string }[]).map((h) => h.name)).toEqual(['slugify_title']);
    await expect(run(searchCommand, ['x', '--index', out, '--mode', 'fuzzy'])).rejects.toThrow(
      "--mode must be dense, bm25 or hybrid, got 'fuzzy'",
    );

    // Change one file, add one, delete one: only the changed and added files are embedded again.
    write(
      'web/net.js',
      `function openSocketConnection(host, port) {
  return net.createConnection({ host, port });
}
`,
    );
    write(
      'pkg/dates.py',
      'def parse_iso_date(text):\n    """Parse an ISO date."""\n    return date.fromisoformat(text)\n',
    );
    unlinkSync(join(repo, 'util/text.py'));
    const again = await run(indexCommand, [repo, '--model', 'hashing', '--out', out, '-q']);
    expect(again.stdout).toMatch(/updated .*: 4 functions from 3 files/);
    expect(again.stdout).toMatch(
      /1 added, 1 changed, 1 removed, 1 unchanged; mined in [\d.]+ s; 2 functions embedded/,
    );
    // Nothing changed: nothing is parsed and the index file is not written again.
    const written = statSync(out).mtimeMs;
    const none = await run(indexCommand, [repo, '--model', 'hashing', '--out', out, '-q']);
    expect(none.stdout).toMatch(/^unchanged .*idx\.sidx: 4 functions from 3 files/);
    expect(none.stdout).toMatch(
      /0 added, 0 changed, 0 removed, 3 unchanged; mined in [\d.]+ s; 0 functions embedded/,
    );
    expect(statSync(out).mtimeMs).toBe(written);
    // Touched but not changed: read and hashed again, still nothing to do.
    utimesSync(join(repo, 'pkg/storage.py'), new Date(), new Date(Date.now() + 5000));
    const touched = await run(indexCommand, [repo, '--out', out, '-q']);
    expect(touched.stdout).toMatch(/^unchanged .*0 added, 0 changed, 0 removed, 3 unchanged/s);
    // Asking for another kind on an update rebuilds faiss from the stored vectors: nothing is embedded.
    const hnsw = await run(indexCommand, [
      repo,
      '--model',
      'hashing',
      '--out',
      out,
      '-q',
      '--factory',
      'HNSW16,Flat',
    ]);
    expect(hnsw.stdout).toMatch(/updated .*: 4 functions from 3 files \(HNSW16,Flat,/);
    expect(hnsw.stdout).toMatch(/3 unchanged; mined in [\d.]+ s; 0 functions embedded/);
    // The model's ranking lists every live function (BM25 would list only those sharing a word).
    const after = await run(searchCommand, [
      'slug title',
      '--index',
      out,
      '--mode',
      'dense',
      '--json',
      '-k',
      '10',
    ]);
    const names = (JSON.parse(after.stdout) as { name: string }[]).map((h) => h.name).sort();
    expect(names).toEqual(['openSocketConnection', 'parse_iso_date', 'read_json_file', 'write_json_file']);
  });

  it('refuses another model and names a missing index', async () => {
    await expect(
      run(searchCommand, ['x', '--index', out, '--mode', 'dense', '--model', 'hashing:128']),
    ).rejects.toThrow(
      /was built with model 'hashing-bag-of-subtokens\/v1\/dim=256' \(dim 256\); it cannot be searched with 'hashing-bag-of-subtokens\/v1\/dim=128'/,
    );
    // A model named without --mode is used (hybrid), not ignored by the words-only default.
    await expect(run(searchCommand, ['x', '--index', out, '--model', 'hashing:128'])).rejects.toThrow(
      /cannot be searched with 'hashing-bag-of-subtokens\/v1\/dim=128'/,
    );
    await expect(run(searchCommand, ['x', '--index', join(repo, 'nope')])).rejects.toThrow(
      /index file not found: .*nope/,
    );
    // Without --model: the newest run's best under ./runs, or a clear error when there is none.
    await expect(resolveModel(undefined, repo)).rejects.toThrow(
      /no --model given and no trained model found/,
    );
    const runs = join(repo, 'runs');
    mkdirSync(join(runs, 'old', 'best'), { recursive: true });
    mkdirSync(join(runs, 'new', 'best'), { recursive: true });
    utimesSync(join(runs, 'old', 'best'), new Date(2020, 1, 1), new Date(2020, 1, 1));
    // No recorded scores: the newest, and the line says so and names the other.
    expect(chooseTrainedModel(runs)).toEqual({
      dir: join(runs, 'new', 'best'),
      description: expect.stringMatching(/new\/best \(run new; chosen as the newest over old /),
    });
    // Recorded validation MRRs: the best score wins over the newest.
    writeFileSync(
      join(runs, 'old', 'best', 'trainer_state.json'),
      JSON.stringify({ best: { step: 40, mrr: 0.61 } }),
    );
    writeFileSync(
      join(runs, 'new', 'best', 'trainer_state.json'),
      JSON.stringify({ best: { step: 20, mrr: 0.42 } }),
    );
    expect(chooseTrainedModel(runs)?.description).toMatch(
      /old\/best \(run old, step 40, validation MRR 0\.6100; chosen by validation MRR over new 0\.4200 .*pass --model/,
    );
    await expect(resolveModel(undefined, repo)).rejects.toThrow(/config\.json/);
    expect((await run(searchCommand, ['--index', out])).code).toBe(2);
  });
});

describe('secora search: the default mode without the model', () => {
  it('ranks by BM25 alone and says why when the index model folder is gone; an asked-for mode still fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secora-gone-'));
    try {
      const modelDir = join(dir, 'model');
      const words = [...new Set(SNIPPETS.flatMap((s) => s.code.split(/[^A-Za-z]+/)).filter(Boolean))];
      const encoder = await Encoder.create(tinyConfig({ vocabSize: 64, maxPositionEmbeddings: 64 }), {
        seed: 5,
        tokenizer: wordTokenizer(words.slice(0, 50)),
      });
      await encoder.save(modelDir);
      const index = await CodeIndex.build(encoder, SNIPPETS, { modelSource: modelDir });
      const file = join(dir, 'gone.sidx');
      index.save(file);
      await encoder.dispose();
      rmSync(modelDir, { recursive: true, force: true });
      const result = await runCommand(searchCommand, [
        'parse http response status',
        '--index',
        file,
        '--json',
        '-k',
        '3',
      ]);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/the index's model \(.*model\) is not there, so BM25 alone ranks/);
      const hits = JSON.parse(result.stdout) as { name: string; score: number }[];
      const bm25 = await CodeIndex.load(file, null).search('parse http response status', {
        k: 3,
        mode: 'bm25',
      });
      expect(hits.map((h) => h.name)).toEqual(bm25.map((h) => h.name));
      await expect(run(searchCommand, ['parse', '--index', file, '--mode', 'hybrid'])).rejects.toThrow(
        /model/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
