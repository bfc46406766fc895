import { describe, expect, it } from 'vitest';
import { Bm25Index } from '../src/search/bm25.js';
import { codeTokens } from '../src/search/code-tokens.js';

describe('code-aware tokens', () => {
  it('splits camelCase, acronyms, snake_case, digits and punctuation, lowercased', () => {
    expect(codeTokens('getHTTP2Url_v1')).toEqual(['get', 'http', '2', 'url', 'v', '1']);
    expect(codeTokens('XMLHttpRequest.open(url)')).toEqual(['xml', 'http', 'request', 'open', 'url']);
    expect(codeTokens('snake_case_name = 42')).toEqual(['snake', 'case', 'name', '42']);
    expect(codeTokens('naïveÉtude 日本語')).toEqual(['naïve', 'étude', '日本語']);
    expect(codeTokens('Returns the value of a key', { dropStopWords: true })).toEqual([
      'returns',
      'value',
      'key',
    ]);
    expect(codeTokens('')).toEqual([]);
  });
});

describe('BM25', () => {
  // d0: get user name (3 tokens); d1: set user id user (4); d2: parse the json (3). avgdl = 10/3.
  const docs = ['getUserName', 'set_user_id(user)', 'parse the json'];

  it('scores a tiny corpus as computed by hand (k1=1.2, b=0.75)', () => {
    const bm25 = new Bm25Index(docs);
    const idfUser = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5)); // ln 1.6
    const idfName = Math.log(1 + (3 - 1 + 0.5) / (1 + 0.5)); // ln 8/3
    expect(bm25.idf('user')).toBeCloseTo(Math.log(1.6), 12);
    expect(bm25.idf('name')).toBeCloseTo(Math.log(8 / 3), 12);
    expect(bm25.idf('nothing')).toBe(0);
    // |d0| = 3: 1.2·(0.25 + 0.75·3/(10/3)) = 1.11; |d1| = 4: 1.2·(0.25 + 0.75·4/(10/3)) = 1.38.
    const scores = bm25.scoreAll('user name');
    expect(scores[0]).toBeCloseTo(((idfUser + idfName) * 2.2) / 2.11, 10);
    expect(scores[1]).toBeCloseTo((idfUser * 2 * 2.2) / 3.38, 10);
    expect(scores[2]).toBe(0);
    // A repeated query term counts once.
    expect(bm25.scoreAll('user user name')).toEqual(scores);
    expect(bm25.search('user name', 5)).toEqual([
      { doc: 0, score: scores[0] },
      { doc: 1, score: scores[1] },
    ]);
    expect(bm25.search('user name', 1)).toHaveLength(1);
  });

  it('honours k1 and b', () => {
    // b = 0: no length normalization, tf saturates with k1 only: idf·tf·(k1+1)/(tf+k1).
    const bm25 = new Bm25Index(docs, { k1: 2, b: 0 });
    expect(bm25.scoreAll('user')[1]).toBeCloseTo((Math.log(1.6) * 2 * 3) / (2 + 2), 12);
    expect(() => new Bm25Index(docs, { b: 2 })).toThrow(/b must be in \[0, 1\], got 2/);
  });

  it('returns the same top k as a full sort of every score, ties by document order', () => {
    const words = ['parse', 'json', 'file', 'read', 'write', 'socket', 'sort', 'list'];
    const corpus = Array.from(
      { length: 300 },
      (_, i) => `${words[i % 8]} ${words[(i * 3) % 8]} ${words[(i * 5) % 7]}`,
    );
    const bm25 = new Bm25Index(corpus);
    for (const query of ['parse json', 'read the file list', 'socket']) {
      const scores = bm25.scoreAll(query);
      const expected = [...scores.keys()]
        .filter((d) => scores[d]! > 0)
        .sort((a, b) => scores[b]! - scores[a]! || a - b)
        .slice(0, 25);
      expect(bm25.search(query, 25).map((h) => h.doc)).toEqual(expected);
    }
  });

  it('round-trips through bytes with the same scores, and names bad bytes', () => {
    const bm25 = new Bm25Index([...docs, 'json user parse'], { k1: 1.5, b: 0.5, dropStopWords: true });
    const back = Bm25Index.fromBytes(bm25.toBytes());
    expect(back.size).toBe(4);
    for (const q of ['user name', 'the json', 'parse', 'nothing'])
      expect(back.scoreAll(q)).toEqual(bm25.scoreAll(q));
    expect(back.search('user json', 3)).toEqual(bm25.search('user json', 3));
    expect(Bm25Index.fromBytes(new Bm25Index([]).toBytes()).search('x', 2)).toEqual([]);
    const bytes = bm25.toBytes();
    expect(() => Bm25Index.fromBytes(bytes.subarray(0, bytes.length - 4), 'idx.sidx (BM25)')).toThrow(
      /idx\.sidx \(BM25\): not a BM25 index \(truncated at byte \d+\)/,
    );
  });

  it('handles an empty corpus and an empty query', () => {
    expect(new Bm25Index([]).search('x', 3)).toEqual([]);
    expect(new Bm25Index(docs).search('', 3)).toEqual([]);
  });
});
