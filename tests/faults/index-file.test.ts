// Damaged index files and bad search arguments: every one is an error naming the file (or the argument), never
// a crash, a hang or a silent wrong answer. The randomized part prints its seed (SECORA_FAULT_SEED replays it).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CodeIndex } from '../../src/search/code-index.js';
import { HashingEmbedder } from '../../src/search/hashing-embedder.js';
import { IndexFileError, readIndexHeader } from '../../src/search/index-file.js';
import { indexRepository } from '../../src/search/index-repository.js';
import { manySnippets } from '../search-fixtures.js';
import { corruptBytes, faultSeed, seeded } from './fault-kit.js';

const dir = mkdtempSync(join(tmpdir(), 'secora-faults-index-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const embedder = new HashingEmbedder(64);

/** Each section's [start, end) in a saved file, from its section table. */
function sections(file: string): Record<string, [number, number]> {
  const b = readFileSync(file);
  const names = ['header', 'faiss', 'vectors', 'bm25'];
  let at = 16 + names.length * 40 + 32;
  const out: Record<string, [number, number]> = { table: [0, at] };
  names.forEach((name, i) => {
    const length = Number(b.readBigUInt64LE(16 + i * 40));
    out[name] = [at, at + length];
    at += length;
  });
  return out;
}

async function hnswFile(): Promise<string> {
  const file = join(dir, 'hnsw.sidx');
  const index = await CodeIndex.build(embedder, manySnippets(300), { factory: 'HNSW32,Flat' });
  index.save(file);
  return file;
}

describe('index file faults', () => {
  it('refuses 8 bytes overwritten in any section (faiss never sees them), and says to rebuild', async () => {
    const good = await hnswFile();
    const parts = sections(good);
    expect(parts['faiss']![1]).toBeGreaterThan(parts['faiss']![0]);
    const random = seeded(13);
    for (const [name, [from, to]] of Object.entries(parts)) {
      const bad = join(dir, `bad-${name}.sidx`);
      copyFileSync(good, bad);
      corruptBytes(bad, random, 8, from, to);
      const why =
        name === 'table' ? /section table|magic|format version/ : new RegExp(`the ${name} section fails`);
      expect(() => CodeIndex.load(bad, embedder), name).toThrow(IndexFileError);
      expect(() => CodeIndex.load(bad, embedder), name).toThrow(why);
      expect(() => CodeIndex.load(bad, embedder), name).toThrow(/bad-\w+\.sidx: .*rebuild it/);
    }
  });

  it('names a folder, a huge section length and an older format instead of EISDIR or a RangeError', async () => {
    const good = await hnswFile();
    expect(() => CodeIndex.describe(dir)).toThrow(/is a folder; pass the index file/);
    const huge = join(dir, 'huge.sidx');
    const bytes = readFileSync(good);
    bytes.writeBigUInt64LE(2n ** 60n, 16);
    writeFileSync(huge, bytes);
    expect(() => readIndexHeader(huge)).toThrow(IndexFileError);
    const old = join(dir, 'v2.sidx');
    const v2 = Buffer.alloc(64);
    v2.write('SECORAIX', 'latin1');
    v2.writeUInt32LE(2, 8);
    writeFileSync(old, v2);
    expect(() => CodeIndex.load(old, embedder)).toThrow(/format version 2, this secora reads version 3/);
  });

  it('secora index rebuilds a file that fails its check instead of keeping it', async () => {
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, 'pkg'), { recursive: true });
    writeFileSync(
      join(repo, 'pkg', 'io.py'),
      'def read_lines(path):\n    """Read a file and return its lines."""\n    with open(path) as f:\n        return f.readlines()\n',
    );
    const out = join(repo, 'idx.sidx');
    const first = await indexRepository(repo, embedder, { out, factory: 'HNSW32,Flat' });
    expect(first.incremental).toBe(false);
    const { faiss: range } = sections(out);
    corruptBytes(out, seeded(5), 8, range![0], range![1]);
    const second = await indexRepository(repo, embedder, { out });
    expect(second.incremental).toBe(false);
    expect(second.rebuiltBecause).toMatch(/the faiss section fails its checksum/);
    const hits = await CodeIndex.load(out, embedder).search('read lines of a file', { k: 1 });
    expect(hits[0]!.name).toBe('read_lines');
  });

  it('validates k before faiss sees it: NaN, fractions, zero and negatives are errors, more than there is is all', async () => {
    const index = await CodeIndex.build(embedder, manySnippets(20));
    for (const k of [Number.NaN, 0.5, 0, -1, Number.POSITIVE_INFINITY, '3' as unknown as number]) {
      await expect(index.search('parse', { k }), String(k)).rejects.toThrow(/k must be a whole number >= 1/);
      expect(() => index.searchBm25('parse', k)).toThrow(RangeError);
    }
    expect(await index.search('parse', { k: 1000 })).toHaveLength(20);
    expect(await index.search('parse', { k: 1000, hybrid: 'rrf' })).toHaveLength(20);
  });

  it('turns a faiss C++ exception into a JavaScript error instead of aborting the process', () => {
    // In a child: before the fix this aborted with SIGABRT, which would take the test runner with it.
    const run = spawnSync(
      process.execPath,
      [
        '-e',
        `const { IndexFlatIP } = require('faiss-node');
         const ix = new IndexFlatIP(2); ix.add([1, 0, 0, 1]);
         try { ix.search([1, 0], 0); console.log('no error'); } catch (e) { console.log('caught: ' + e.message); }`,
      ],
      { encoding: 'utf8', cwd: join(import.meta.dirname, '..', '..') },
    );
    expect(run.signal).toBeNull();
    expect(run.stdout).toMatch(/caught: .*k > 0/);
  });

  it('never loads a randomly corrupted index file without an error (seeded)', async () => {
    const seed = faultSeed();
    console.log(`index corruption seed ${seed} (replay: SECORA_FAULT_SEED=${seed})`);
    const random = seeded(seed);
    const good = await hnswFile();
    const flat = join(dir, 'flat.sidx');
    (await CodeIndex.build(embedder, manySnippets(50))).save(flat);
    const size = { hnsw: readFileSync(good).length, flat: readFileSync(flat).length };
    let detected = 0;
    const tries = 40;
    for (let i = 0; i < tries; i++) {
      const source = i % 2 === 0 ? good : flat;
      const bad = join(dir, 'random.sidx');
      copyFileSync(source, bad);
      const where = corruptBytes(bad, random, 1 + Math.floor(random() * 16));
      try {
        CodeIndex.load(bad, embedder);
      } catch (error) {
        expect(error, JSON.stringify(where)).toBeInstanceOf(IndexFileError);
        detected++;
        continue;
      }
      throw new Error(
        `seed ${seed}: corruption ${JSON.stringify(where)} of ${source} loaded without an error`,
      );
    }
    expect(detected).toBe(tries);
    expect(size.hnsw).toBeGreaterThan(size.flat);
  });
});
