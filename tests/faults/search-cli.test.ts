// `secora search` and `secora index` on bad arguments and damaged files: every one says what is wrong.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { indexCommand } from '../../src/cli/index-cmd.js';
import { searchCommand } from '../../src/cli/search.js';
import { Encoder } from '../../src/model/encoder.js';

const repo = mkdtempSync(join(tmpdir(), 'secora-faults-search-'));
afterAll(() => rmSync(repo, { recursive: true, force: true }));
mkdirSync(join(repo, 'pkg'));
writeFileSync(
  join(repo, 'pkg', 'io.py'),
  'def read_lines(path):\n    """Read a file and return its lines."""\n    with open(path) as f:\n        return f.readlines()\n',
);
const index = join(repo, 'idx.sidx');

/** Runs a command; its exit code, what it printed, or the error it threw. */
async function run(command: (argv: string[]) => Promise<number>, argv: string[]) {
  let out = '';
  const spies = [process.stdout, process.stderr].map((s) =>
    vi.spyOn(s, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    }),
  );
  try {
    return { code: await command(argv), out };
  } catch (error) {
    return { code: 1, out: `${out}${(error as Error).message}` };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

describe('search and index faults', () => {
  it('says what is wrong with -k and an empty query instead of printing only the usage', async () => {
    expect((await run(indexCommand, [repo, '--model', 'hashing', '--out', index])).code).toBe(0);
    for (const k of ['0', '-1', 'abc', '1.5']) {
      const r = await run(searchCommand, ['read lines', '--index', index, '-k', k]);
      expect(r.code, k).toBe(2);
      expect(r.out).toContain(`-k must be a whole number >= 1 (how many hits to show), got '${k}'`);
    }
    const empty = await run(searchCommand, ['  ', '--index', index]);
    expect(empty.code).toBe(2);
    expect(empty.out).toMatch(/the query is empty/);
  });

  it('refuses a language the index does not hold, listing those it does', async () => {
    const r = await run(searchCommand, ['read lines', '--index', index, '--lang', 'klingon']);
    expect(r.out).toMatch(/--lang klingon: .*idx\.sidx holds no such language; it holds python/);
    expect((await run(searchCommand, ['read lines', '--index', index, '--lang', 'python'])).out).toMatch(
      /pkg\/io\.py:1 .* read_lines/,
    );
  });

  it('names a folder given as --index, and an output folder that refuses new files', async () => {
    expect((await run(searchCommand, ['read lines', '--index', repo])).out).toMatch(
      /is a folder; pass the index file/,
    );
    // /proc answers ENOENT for a folder that is there: the message says what it means.
    const r = await run(indexCommand, [repo, '--model', 'hashing', '--out', '/proc/secora.sidx']);
    expect(r.out).toMatch(/cannot write \/proc\/secora\.sidx: the folder \/proc does not accept new files/);
  });

  it('names a tokenizer.json that cannot be loaded', async () => {
    const bad = join(repo, 'tokenizer.json');
    writeFileSync(bad, '{"version": ');
    await expect(
      Encoder.create(
        {
          modelType: 'roberta',
          vocabSize: 50,
          hiddenSize: 8,
          numHiddenLayers: 1,
          numAttentionHeads: 2,
          intermediateSize: 16,
          maxPositionEmbeddings: 20,
          typeVocabSize: 1,
          layerNormEps: 1e-5,
          hiddenDropoutProb: 0,
          attentionProbsDropoutProb: 0,
          padTokenId: 1,
          pooling: 'mean',
          embeddingSize: 8,
        },
        { tokenizer: bad },
      ),
    ).rejects.toThrow(/tokenizer\.json: not a tokenizer\.json that tokenizers can load: \S/);
  });
});
