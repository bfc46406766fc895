// BM25-mined hard negatives: never the pair itself, same language only, no second right answer, best first.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/data/batcher/seeded-random.js';
import { mineHardNegatives, type NegativeItem } from '../src/data/hard-negatives.js';

const ITEMS: NegativeItem[] = [
  {
    language: 'python',
    query: 'Read a CSV file header row',
    code: 'def read_csv_header(path):\n  return csv_reader(path).header_row()',
  },
  {
    language: 'python',
    query: 'Write rows to a CSV file',
    code: 'def write_csv_rows(path, rows):\n  csv_writer(path).write_rows(rows)',
  },
  {
    language: 'python',
    query: 'Parse a JSON document',
    code: 'def parse_json(text):\n  return json_decoder().decode(text)',
  },
  {
    language: 'python',
    query: 'Open a socket to a host',
    code: 'def open_socket(host):\n  return socket_connect(host)',
  },
  {
    language: 'go',
    query: 'Read a CSV file header row',
    code: 'func ReadCsvHeader(path string) []string {\n  return csvReader(path).HeaderRow()\n}',
  },
  // Same docstring as item 0 (an overload): a second right answer, never a negative of item 0.
  {
    language: 'python',
    query: 'Read a CSV file header row',
    code: 'def read_csv_header_lines(path, n):\n  return csv_reader(path).header_row()[:n]',
  },
];

describe('hard negatives', () => {
  it('never returns the positive, nor another language, nor a function with the same docstring', () => {
    const mined = mineHardNegatives(ITEMS, 3, { maxDocumentFrequency: 1 });
    mined.forEach((negatives, i) => {
      expect(negatives).not.toContain(i);
      for (const j of negatives) {
        expect(ITEMS[j]!.language).toBe(ITEMS[i]!.language);
        expect(ITEMS[j]!.query).not.toBe(ITEMS[i]!.query);
      }
      expect(negatives.length).toBeLessThanOrEqual(3);
    });
    // The CSV writer is the closest wrong function for the CSV reader; Go has no other function.
    expect(mined[0]![0]).toBe(1);
    expect(mined[4]).toEqual([]);
    expect(mined[5]![0]).toBe(1);
  });

  it('never returns the positive on a larger random pool, and is deterministic', () => {
    const vocab = 'read write parse open close file socket json csv header row list map key value'.split(' ');
    const rnd = seededRandom(17, 0, 'pool');
    const pick = (n: number) =>
      Array.from({ length: n }, () => vocab[Math.floor(rnd() * vocab.length)]).join(' ');
    const pool = Array.from({ length: 300 }, (_, i) => ({
      language: i % 3 === 0 ? 'java' : 'python',
      query: pick(4),
      code: `${pick(12)} item_${i}`,
    }));
    const mined = mineHardNegatives(pool, 4, { maxDocumentFrequency: 1 });
    mined.forEach((negatives, i) => {
      expect(negatives).not.toContain(i);
      expect(new Set(negatives).size).toBe(negatives.length);
      for (const j of negatives) expect(pool[j]!.language).toBe(pool[i]!.language);
    });
    expect(mined.filter((n) => n.length === 4).length).toBeGreaterThan(250);
    expect(mineHardNegatives(pool, 4, { maxDocumentFrequency: 1 })).toEqual(mined);
    expect(mineHardNegatives(pool, 0).every((n) => n.length === 0)).toBe(true);
  });
});
