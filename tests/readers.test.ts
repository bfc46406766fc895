import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataSource } from '../src/data/data-source.js';
import type { CodeRecord } from '../src/data/record.js';
import {
  type CsnRow,
  makeCsnFixture,
  makeGraphCodeBertFixture,
  makeHfParquetFixture,
  tempDir,
} from './data-fixtures.js';

async function collect(it: AsyncIterable<CodeRecord>): Promise<CodeRecord[]> {
  const out: CodeRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

/** What a reader must make of a fixture row. */
function asRecord(r: CsnRow, withTokens = true): CodeRecord {
  return {
    repo: r.repo,
    path: r.path,
    funcName: r.func_name,
    language: r.language,
    code: r.code,
    docstring: r.docstring,
    url: r.url,
    partition: r.partition as CodeRecord['partition'],
    originalString: r.original_string,
    ...(withTokens ? { codeTokens: r.code_tokens, docstringTokens: r.docstring_tokens } : {}),
  };
}

describe('CodeSearchNet jsonl.gz reader', () => {
  const fx = makeCsnFixture();

  it('streams every usable record of a split in file order, with all fields', async () => {
    const src = openDataSource({
      format: 'codesearchnet',
      path: fx.root,
      languages: ['python'],
      split: 'train',
    });
    const got = await collect(src.records());
    expect(got).toEqual(fx.expected['python/train']!.map((r) => ({ ...asRecord(r), sha: r.sha })));
  });

  it('skips and counts the malformed line and the record without a docstring, naming file and line', async () => {
    const src = openDataSource({
      format: 'codesearchnet',
      path: fx.root,
      languages: ['python'],
      split: 'train',
    });
    await collect(src.records());
    expect(src.stats.skipped).toBe(2);
    expect(src.stats.first.map((s) => [s.file, s.line])).toEqual([
      [fx.malformedFile, 3],
      [fx.missingDocFile, 2],
    ]);
    expect(src.stats.first[0]!.reason).toMatch(/^bad JSON/);
    expect(src.stats.first[1]!.reason).toBe('missing docstring');
    expect(src.stats.format()).toContain(`${fx.malformedFile}:3`);
    // A second pass counts afresh rather than doubling.
    await collect(src.records());
    expect(src.stats.skipped).toBe(2);
  });

  it('reads all languages in sorted order when none are named, and filters by split', async () => {
    const src = openDataSource({ format: 'codesearchnet', path: fx.root, split: 'valid' });
    const got = await collect(src.records());
    expect(got.map((r) => r.url)).toEqual(
      [...fx.expected['go/valid']!, ...fx.expected['python/valid']!].map((r) => r.url),
    );
    expect(new Set(got.map((r) => r.partition))).toEqual(new Set(['valid']));
  });

  it('accepts one language folder as the root', async () => {
    const src = openDataSource({ format: 'codesearchnet', path: join(fx.root, 'go'), split: 'test' });
    expect((await collect(src.records())).map((r) => r.url)).toEqual(
      fx.expected['go/test']!.map((r) => r.url),
    );
  });

  it('names a missing folder or language', async () => {
    expect(() =>
      openDataSource({ format: 'codesearchnet', path: join(fx.root, 'nope'), split: 'train' }),
    ).toThrow(/CodeSearchNet folder not found: .*nope/);
    const src = openDataSource({
      format: 'codesearchnet',
      path: fx.root,
      languages: ['ruby'],
      split: 'train',
    });
    await expect(collect(src.records())).rejects.toThrow(/language folder for "ruby" not found: .*ruby/);
  });

  it('counts a truncated .gz where it broke and goes on with the next file', async () => {
    const root = tempDir('csn-trunc');
    const { mkdirSync, readFileSync } = await import('node:fs');
    const dir = join(root, 'python', 'final', 'jsonl', 'train');
    mkdirSync(dir, { recursive: true });
    const whole = readFileSync(
      join(fx.root, 'python', 'final', 'jsonl', 'train', 'python_train_10.jsonl.gz'),
    );
    writeFileSync(join(dir, 'a.jsonl.gz'), whole.subarray(0, whole.length - 30));
    writeFileSync(join(dir, 'b.jsonl.gz'), whole);
    const src = openDataSource({ format: 'codesearchnet', path: root, split: 'train' });
    const got = await collect(src.records());
    expect(got.slice(-5).map((r) => r.url)).toEqual(fx.expected['python/train']!.slice(-5).map((r) => r.url));
    expect(src.stats.skipped).toBe(1);
    expect(src.stats.first[0]!.file).toBe(join(dir, 'a.jsonl.gz'));
    expect(src.stats.first[0]!.reason).toMatch(/^unreadable/);
  });
});

describe('Hugging Face parquet reader', () => {
  const fx = makeHfParquetFixture();

  it('reads the split row group by row group, skipping and counting a row without docstring', async () => {
    const src = openDataSource({
      format: 'hf-parquet',
      path: fx.root,
      languages: ['python'],
      split: 'train',
    });
    expect(await src.shards()).toHaveLength(2);
    const got = await collect(src.records());
    expect(got).toEqual(fx.expected['python/train']!.map((r) => asRecord(r)));
    expect(src.stats.skipped).toBe(1);
    expect(src.stats.first[0]).toEqual({
      file: join(fx.root, 'python', 'train-00000-of-00001.parquet'),
      line: 4,
      reason: 'missing docstring',
    });
  });

  it('leaves out files of other splits and languages', async () => {
    const test = openDataSource({ format: 'hf-parquet', path: fx.root, split: 'test' });
    expect((await collect(test.records())).map((r) => r.url)).toEqual(
      fx.expected['python/test']!.map((r) => r.url),
    );
    const go = openDataSource({ format: 'hf-parquet', path: fx.root, languages: ['go'], split: 'test' });
    expect(await collect(go.records())).toEqual([]);
  });

  it('says which column a parquet file without the schema lacks', async () => {
    const dir = tempDir('hfpq-bad');
    const { parquetWriteFile } = await import('hyparquet-writer');
    parquetWriteFile({
      filename: join(dir, 'x.parquet'),
      columnData: [{ name: 'text', data: ['a'], type: 'STRING' }],
    });
    const src = openDataSource({ format: 'hf-parquet', path: dir, split: 'train' });
    await expect(collect(src.records())).rejects.toThrow(/x\.parquet: .*lacks column func_code_string/);
  });
});

describe('GraphCodeBERT cleaned jsonl reader', () => {
  const fx = makeGraphCodeBertFixture();

  it('reads train lines as they are', async () => {
    const src = openDataSource({ format: 'graphcodebert', path: fx.root, split: 'train' });
    expect(await collect(src.records())).toEqual(
      fx.expected['python/train']!.map((r) => ({ ...asRecord(r), sha: r.sha })),
    );
  });

  it('takes the code of a test query from codebase.jsonl by url', async () => {
    const src = openDataSource({
      format: 'graphcodebert',
      path: fx.root,
      languages: ['python'],
      split: 'test',
    });
    const got = await collect(src.records());
    const want = fx.expected['python/test']!;
    expect(got.map((r) => [r.url, r.code, r.docstring])).toEqual(
      want.map((r) => [r.url, r.code, r.docstring_tokens.join(' ')]),
    );
    expect(src.stats.skipped).toBe(0);
  });

  it('names a missing split file', async () => {
    const dir = tempDir('gcb-empty');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'python'));
    writeFileSync(join(dir, 'python', 'train.jsonl'), '');
    const src = openDataSource({ format: 'graphcodebert', path: dir, split: 'valid' });
    await expect(collect(src.records())).rejects.toThrow(
      /GraphCodeBERT valid file not found: .*python\/valid\.jsonl/,
    );
  });
});

describe('data source config', () => {
  it('rejects an unknown format or split by name', () => {
    expect(() => openDataSource({ format: 'csv' as never, path: '/x', split: 'train' })).toThrow(
      /format must be one of/,
    );
    expect(() => openDataSource({ format: 'codesearchnet', path: '/x', split: 'dev' as never })).toThrow(
      /split must be one of/,
    );
  });
});
