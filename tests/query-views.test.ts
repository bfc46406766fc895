// Query views on fixed inputs: each view alone, the mix by rates, and the same query for the same random stream.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/data/batcher/seeded-random.js';
import {
  firstSentence,
  NO_VIEWS,
  nameQuery,
  parameterNames,
  queryView,
  shortened,
  withLanguage,
  wordDropout,
  words,
} from '../src/data/query-views.js';

const DOC = 'Reads the header row of a CSV file, e.g. the column names. Skips blank lines.';
const RECORD = {
  docstring: DOC,
  funcName: 'CsvReader.read_csv_header',
  code: 'def read_csv_header(self, path, skip_blank=True):\n    with open(path) as f:\n        return next(f)',
  language: 'python',
};
const fixed = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('query views', () => {
  it('first sentence: up to the first stop, past abbreviations', () => {
    expect(firstSentence(DOC)).toBe('Reads the header row of a CSV file, e.g. the column names');
    expect(firstSentence('Return the sum.\n\nMore text.')).toBe('Return the sum');
    expect(firstSentence('No stop at all')).toBe('No stop at all');
    expect(firstSentence('Is it open? Then close it.')).toBe('Is it open');
    expect(firstSentence('Version 1.2 of the parser.')).toBe('Version 1.2 of the parser');
  });

  it('shortened: content words of the first sentence, stop words and filler dropped, at most `keep`', () => {
    expect(shortened(DOC, 3)).toBe('reads header row');
    expect(shortened(DOC, 10)).toBe('reads header row csv file column names');
    // Nothing but filler: the first sentence stays.
    expect(shortened('Returns the given value of this object.', 4)).toBe(
      'Returns the given value of this object',
    );
    expect(shortened('Returns the socket timeout in seconds.', 4)).toBe('socket timeout seconds');
  });

  it('name and signature: identifiers split into words (snake_case, camelCase, a class prefix dropped)', () => {
    expect(words('read_csv_header')).toEqual(['read', 'csv', 'header']);
    expect(words('parseHTTPResponse')).toEqual(['parse', 'http', 'response']);
    expect(parameterNames(RECORD.code)).toEqual(['path', 'skip_blank']);
    expect(parameterNames('func (s *Server) Serve(l net.Listener, timeout time.Duration) error {')).toEqual([
      'l',
      'timeout',
    ]);
    expect(parameterNames('public String join(List<String> parts, String sep) {')).toEqual(['parts', 'sep']);
    expect(parameterNames('function fetch($url, array $options = []) {')).toEqual(['url', 'options']);
    expect(nameQuery(RECORD.funcName, RECORD.code, 0)).toBe('read csv header');
    expect(nameQuery(RECORD.funcName, RECORD.code, 2)).toBe('read csv header path skip blank');
    expect(nameQuery('Client::getUserById', 'function getUserById($id) {', 1)).toBe('get user by id');
  });

  it('language name before or after; word dropout keeps at least one word', () => {
    expect(withLanguage('read csv header', 'python', fixed(0, 0.9))).toBe('read csv header python');
    expect(withLanguage('http timeout', 'go', fixed(0.9, 0.1))).toBe('golang http timeout');
    expect(wordDropout('a b c d', 0.5, fixed(0.1, 0.9, 0.2, 0.6))).toBe('b d');
    expect(wordDropout('a b c', 1, fixed(0.4))).toBe('b');
  });

  it('mixes views by their rates, deterministically for the same random stream', () => {
    expect(queryView(RECORD, NO_VIEWS, fixed(0.5))).toBe(DOC);
    const rates = { first_sentence: 0.25, shortened: 0.25, name: 0.25, language: 0, word_dropout: 0 };
    expect(queryView(RECORD, rates, fixed(0.1))).toBe(firstSentence(DOC));
    expect(queryView(RECORD, rates, fixed(0.3, 0))).toBe('reads header');
    expect(queryView(RECORD, rates, fixed(0.6, 0))).toBe('read csv header');
    expect(queryView(RECORD, rates, fixed(0.9))).toBe(DOC);
    const all = { first_sentence: 0.3, shortened: 0.3, name: 0.2, language: 0.5, word_dropout: 0.1 };
    const draw = (seed: number) =>
      Array.from({ length: 50 }, (_, row) => queryView(RECORD, all, seededRandom(seed, 3, `q ${row}`)));
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    const kinds = new Set(draw(1));
    expect(kinds.size).toBeGreaterThan(5);
    expect([...kinds].some((q) => /\bpython3?\b/.test(q))).toBe(true);
  });
});
