// The search page's highlighter (web/highlight.js), as a pure function: lossless, and the right kinds.
import { describe, expect, it } from 'vitest';
import { tokenize } from '../web/highlight.js';
import { SNIPPETS } from './search-fixtures.js';

const kinds = (code: string, language: string) =>
  tokenize(code, language)
    .filter((t) => t.kind !== '')
    .map((t) => `${t.kind}:${t.text}`);

describe('highlight', () => {
  it('gives back the code exactly, token by token, for every fixture', () => {
    for (const s of SNIPPETS)
      expect(
        tokenize(s.code, s.language)
          .map((t) => t.text)
          .join(''),
      ).toBe(s.code);
  });

  it('python: keywords, function names, docstrings, comments, numbers; # is not a comment in JavaScript', () => {
    expect(kinds('def f(x):\n    """Doc."""\n    # note\n    return g(x, 0x1f)', 'python')).toEqual([
      'kw:def',
      'fn:f',
      'str:"""Doc."""',
      'com:# note',
      'kw:return',
      'fn:g',
      'num:0x1f',
    ]);
    expect(kinds('const a = b # c', 'javascript')).toEqual(['kw:const']);
  });

  it('javascript: template strings and block comments; an unterminated string or comment does not hang', () => {
    const template = '`x$' + '{y}`'; // a JavaScript template literal, as text
    expect(kinds(`/* a */ let s = ${template};`, 'javascript')).toEqual([
      'com:/* a */',
      'kw:let',
      `str:${template}`,
    ]);
    expect(
      tokenize('s = "open', 'python')
        .map((t) => t.text)
        .join(''),
    ).toBe('s = "open');
    expect(kinds('x /* never closed', 'go')).toEqual(['com:/* never closed']);
  });
});
