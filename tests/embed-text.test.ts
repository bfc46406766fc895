// What the model embeds of a function (src/search/embed-text.ts): each choice on fixed inputs, and an index
// that records its choice, keeps it when re-indexed, and is built again when asked for another.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { indexCommand } from '../src/cli/index-cmd.js';
import type { CodeRecord } from '../src/data/record.js';
import { CodeIndex } from '../src/search/code-index.js';
import { checkEmbedText, EMBED_TEXTS, recordTexts, textToEmbed } from '../src/search/embed-text.js';
import { HashingEmbedder } from '../src/search/hashing-embedder.js';
import { readIndexFile, writeIndexFile } from '../src/search/index-file.js';
import { indexRepository } from '../src/search/index-repository.js';
import { runCommand } from './cli-run.js';

const JAVA = {
  code: '/**\n * Reads all lines.\n * @param p the path\n */\nList<String> readLines(Path p) { return Files.readAllLines(p); }',
  bare: 'List<String> readLines(Path p) { return Files.readAllLines(p); }',
  doc: 'Reads all lines.',
};

describe('textToEmbed', () => {
  it('gives each choice its text on fixed inputs', () => {
    expect(textToEmbed(JAVA, 'whole')).toBe(JAVA.code);
    expect(textToEmbed(JAVA, 'code')).toBe(JAVA.bare);
    expect(textToEmbed(JAVA, 'code-doc')).toBe(`${JAVA.bare}\nReads all lines.`);
    expect(textToEmbed(JAVA, 'doc-code')).toBe(`Reads all lines.\n${JAVA.bare}`);
  });

  it('leaves an undocumented function as written under every choice', () => {
    const plain = { code: 'def f(x):\n    return x + 1' };
    for (const choice of EMBED_TEXTS) expect(textToEmbed(plain, choice)).toBe(plain.code);
  });

  it("reads a mined record's texts: the miner's code is the bare code", () => {
    const record: CodeRecord = {
      repo: 'r',
      path: 'a.py',
      funcName: 'f',
      language: 'python',
      code: 'def f(x):\n    return x',
      docstring: 'Return x.',
      url: 'file://a.py#L1-L3',
      partition: 'test',
      originalString: 'def f(x):\n    """Return x."""\n    return x',
    };
    expect(recordTexts(record)).toEqual({
      code: record.originalString,
      bare: record.code,
      doc: 'Return x.',
    });
    const undocumented = { ...record, docstring: '', originalString: record.code };
    expect(recordTexts(undocumented)).toEqual({ code: record.code });
  });

  it('names the place and the allowed values of a bad choice', () => {
    expect(checkEmbedText('code-doc', '--embed-text')).toBe('code-doc');
    expect(() => checkEmbedText('docs', '--embed-text')).toThrow(
      '--embed-text must be one of whole, code, code-doc, doc-code, got "docs"',
    );
  });
});

describe('an index records what its model embeds', () => {
  const repo = mkdtempSync(join(tmpdir(), 'secora-embed-text-'));
  const out = join(repo, '.secora-index');
  const embedder = new HashingEmbedder(64);
  mkdirSync(join(repo, 'pkg'));
  writeFileSync(
    join(repo, 'pkg', 'io.py'),
    'def read_lines(path):\n    """Read a file and return its lines."""\n    with open(path) as f:\n        return f.readlines()\n',
  );
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  const storedVector = () => {
    const { header, vectors } = readIndexFile(out);
    return { header, vector: Array.from(vectors.subarray(0, header.dim)) };
  };
  const embedded = async (text: string) => Array.from((await embedder.embed([text]))[0]!);

  it('embeds the chosen text, shows and scores the function as written', async () => {
    const first = await indexRepository(repo, embedder, { out, embedText: 'code' });
    expect(first.embedText).toBe('code');
    const { header, vector } = storedVector();
    expect(header.embedText).toBe('code');
    const bare = 'def read_lines(path):\n    with open(path) as f:\n        return f.readlines()';
    expect(vector).toEqual(await embedded(bare));
    expect(header.slots[0]!.code).toContain('"""Read a file and return its lines."""');
    // The same choice again: nothing changed, the file is left alone.
    const again = await indexRepository(repo, embedder, { out, embedText: 'code' });
    expect(again.untouched).toBe(true);
  });

  it('builds the index again for another choice, and says why', async () => {
    const next = await indexRepository(repo, embedder, { out, embedText: 'doc-code' });
    expect(next.incremental).toBe(false);
    expect(next.rebuiltBecause).toBe("its vectors embed 'code' of each function, this run embeds 'doc-code'");
    const { header, vector } = storedVector();
    expect(header.embedText).toBe('doc-code');
    expect(vector).toEqual(
      await embedded(
        'Read a file and return its lines.\ndef read_lines(path):\n    with open(path) as f:\n        return f.readlines()',
      ),
    );
  });

  it('reads a file without a recorded choice as one that embeds the whole function', async () => {
    await indexRepository(repo, embedder, { out, embedText: 'whole' });
    const contents = readIndexFile(out);
    delete contents.header.embedText;
    writeIndexFile(out, contents);
    expect(CodeIndex.load(out, embedder).embedText).toBe('whole');
    expect((await indexRepository(repo, embedder, { out, embedText: 'whole' })).untouched).toBe(true);
  });

  it('secora index keeps the recorded choice unless --embed-text names another', async () => {
    await indexRepository(repo, embedder, { out, embedText: 'code' });
    const keep = await runCommand(indexCommand, [repo, '--out', out, '--json', '--quiet']);
    expect(keep.code).toBe(0);
    expect(JSON.parse(keep.stdout)).toMatchObject({ status: 'unchanged', embedText: 'code' });
    const other = await runCommand(indexCommand, [repo, '--out', out, '--json', '--embed-text', 'code-doc']);
    expect(JSON.parse(other.stdout)).toMatchObject({ status: 'built', embedText: 'code-doc' });
    expect(other.stderr).toContain("rebuilt the existing index (its vectors embed 'code'");
    const bad = await runCommand(indexCommand, [repo, '--out', out, '--embed-text', 'docs']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--embed-text must be one of whole, code, code-doc, doc-code, got "docs"');
  });
});
