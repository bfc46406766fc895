import { describe, expect, it } from 'vitest';
import { CodeTokenizer } from '../src/data/tokenizer/code-tokenizer.js';
import { codeAwareNormalize } from '../src/data/tokenizer/tokenizer-json.js';

const CODE = [
  'def count_lines(self, filePath):\n    """Return the number of lines in the file."""\n    return len(self.readAllLines(filePath))',
  'function parseHTTPResponse(rawText) { return rawText.split("\\n"); }',
  'def read_lines(path):\n    with open(path) as f:\n        return f.readlines()',
];

describe('code-aware tokenizer', () => {
  it('normalizes identifiers into lowercase words', () => {
    expect(codeAwareNormalize('count_lines(filePath, parseHTTPResponse)')).toBe(
      'count _ lines(file path, parse http response)',
    );
  });

  it('gives a docstring word and the same word inside an identifier one token', async () => {
    const texts = Array.from({ length: 50 }, (_, i) => `${CODE[i % 3]} # ${i}\nReturn the number of lines.`);
    const tok = await CodeTokenizer.train(texts, { modelType: 'roberta', vocabSize: 400, codeAware: true });
    const [doc, code] = await tok.encodeBatch(['number of lines', 'def count_lines(filePath): pass']);
    const lines = doc![2]!;
    expect(code).toContain(lines);
    // "file path" from filePath: the same ids as the words typed apart.
    const [apart] = await tok.encodeBatch(['file path']);
    expect(code!.join(' ')).toContain(apart!.join(' '));
    // The plain byte-level tokenizer keeps them apart (so this test would fail without code-aware splitting).
    const plain = await CodeTokenizer.train(texts, { modelType: 'roberta', vocabSize: 400 });
    const [pdoc, pcode] = await plain.encodeBatch(['number of lines', 'def count_lines(filePath): pass']);
    expect(pcode).not.toContain(pdoc![pdoc!.length - 1]);
  });

  it('counts words in training as the Rust pipeline encodes them', async () => {
    const tok = await CodeTokenizer.train(CODE.concat(CODE, CODE), {
      modelType: 'roberta',
      vocabSize: 320,
      codeAware: true,
    });
    for (const text of CODE) {
      const [ids] = await tok.encodeBatch([text]);
      const decoded = await tok.decode(ids!);
      expect(decoded.trim().split(/\s+/).join(' ')).toBe(
        codeAwareNormalize(text)
          .replace(/([^\w\s])/g, ' $1 ')
          .trim()
          .split(/\s+/)
          .join(' '),
      );
    }
  });
});
