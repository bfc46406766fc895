// The config keys of query views, hard negatives and the SimCSE stage: defaults, and a bad value named.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/config.js';

const BASE = 'training:\n  max_steps: 100\n';

describe('quality config keys', () => {
  it('default to plain docstrings, no hard negatives, no SimCSE stage, and the Debian corpus', () => {
    const c = parseConfig(BASE, 'c.yml');
    expect(c.training.query_views).toEqual({
      first_sentence: 0,
      shortened: 0,
      name: 0,
      language: 0,
      word_dropout: 0,
    });
    expect(c.training.hard_negatives).toBe(0);
    expect(c.training.simcse_steps).toBe(0);
    expect(c.data.default_corpus).toBe('debian');
  });

  it('names the key and the line of a bad value', () => {
    expect(() =>
      parseConfig(`${BASE}  query_views:\n    first_sentence: 0.6\n    name: 0.6\n`, 'c.yml'),
    ).toThrow(/c\.yml:4: training\.query_views: first_sentence \+ shortened \+ name is 1\.2/);
    expect(() => parseConfig(`${BASE}  query_views:\n    word_dropout: 2\n`, 'c.yml')).toThrow(
      /c\.yml:4: training\.query_views\.word_dropout: 2 is not allowed/,
    );
    expect(() => parseConfig(`${BASE}  hard_negatives: 2\n  objective: simcse\n`, 'c.yml')).toThrow(
      /training\.hard_negatives: needs \(docstring, code\) pairs/,
    );
    expect(() => parseConfig(`${BASE}  simcse_steps: 100\n`, 'c.yml')).toThrow(
      /training\.simcse_steps: 100 leaves no step for the pairs/,
    );
    expect(() => parseConfig('data:\n  default_corpus: debian12\n', 'c.yml')).toThrow(
      /data\.default_corpus: "debian12" is not allowed: expected one of debian, debian-small, local/,
    );
  });
});
