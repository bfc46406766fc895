// Damaged and hostile data: a huge record, a truncated .jsonl.gz, bytes that are not UTF-8, a split with no
// usable record. Each is skipped and counted where it is, or stops the run at once with what was skipped.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openDataSource } from '../../src/data/data-source.js';
import type { CodeRecord } from '../../src/data/record.js';
import { packageRoot } from '../../src/package-root.js';
import { train } from '../../src/train/trainer.js';
import { csnRow, tempDir } from '../data-fixtures.js';

async function readAll(root: string, maxRecordChars?: number) {
  const source = openDataSource({
    format: 'codesearchnet',
    path: root,
    split: 'train',
    ...(maxRecordChars ? { maxRecordChars } : {}),
  });
  const records: CodeRecord[] = [];
  for await (const r of source.records()) records.push(r);
  return { records, stats: source.stats };
}

function csnFolder(
  lines: (string | Buffer)[],
  name = 'python_train_0.jsonl.gz',
): { root: string; file: string } {
  const root = tempDir('faults-data');
  const dir = join(root, 'python', 'final', 'jsonl', 'train');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(
    file,
    gzipSync(Buffer.concat(lines.map((l) => Buffer.concat([Buffer.from(l), Buffer.from('\n')])))),
  );
  return { root, file };
}

const row = (i: number, extra: object = {}) => JSON.stringify({ ...csnRow('python', i, 'train'), ...extra });

describe('data faults', () => {
  it('skips and counts a record over data.max_record_chars before anything tokenizes it', async () => {
    const { root, file } = csnFolder([
      row(0),
      row(1, { code: `def f():\n    return "${'x'.repeat(200_000)}"` }),
      row(2),
    ]);
    const { records, stats } = await readAll(root);
    expect(records).toHaveLength(2);
    expect(stats.skipped).toBe(1);
    expect(stats.format()).toContain(`${file}:2 (200`);
    expect(stats.format()).toMatch(/characters, over data\.max_record_chars \(100000\)/);
    expect((await readAll(root, 300_000)).records).toHaveLength(3);
  });

  it('says a .jsonl.gz is truncated and how many records it gave, and counts bytes that are not UTF-8', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => row(i));
    const { root, file } = csnFolder(lines);
    const whole = readFileSync(file);
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const cut = await readAll(root);
    expect(cut.records.length).toBeGreaterThan(0);
    expect(cut.records.length).toBeLessThan(200);
    expect(cut.stats.truncated).toEqual([{ file, line: expect.any(Number), records: cut.records.length }]);
    expect(cut.stats.format()).toMatch(
      new RegExp(`is truncated: ${cut.records.length} records read up to line`),
    );

    const latin1 = Buffer.from(row(5, { docstring: 'Return the caf\u00e9 menu.' }), 'latin1');
    const bad = csnFolder([row(1), latin1]);
    const read = await readAll(bad.root);
    expect(read.records).toHaveLength(2);
    expect(read.stats.notUtf8).toBe(1);
    expect(read.stats.format()).toMatch(/1 record kept with bytes that are not UTF-8/);
  });

  it('stops before the tokenizer when no training record is usable, with the skip report', async () => {
    const { root } = csnFolder(['{"broken": ', row(1, { docstring: '' })]);
    for (const split of ['valid', 'test']) {
      const dir = join(root, 'python', 'final', 'jsonl', split);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `python_${split}_0.jsonl.gz`), gzipSync(`${row(7)}\n${row(8)}\n`));
    }
    const lines: string[] = [];
    await expect(
      train({
        configFile: join(packageRoot, 'configs', 'tiny.yml'),
        sets: [`output_dir=${tempDir('faults-run')}`, 'data.source=codesearchnet', `data.path=${root}`],
        name: 'empty',
        log: (l) => lines.push(l),
      }),
    ).rejects.toThrow(
      /the train split of .* has no usable records \(skipped 2 records; first: .*bad JSON.*missing docstring/,
    );
    expect(lines.join('\n')).not.toMatch(/tokenizer: trained/);
  });
});
