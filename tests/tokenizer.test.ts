import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainBpe } from '../src/data/tokenizer/bpe-trainer.js';
import { CodeTokenizer, loadTokenizer } from '../src/data/tokenizer/code-tokenizer.js';
import { applyTemplate, specialCount } from '../src/data/tokenizer/sequence-template.js';
import { csnRow, tempDir } from './data-fixtures.js';

const tk = createRequire(import.meta.url)('tokenizers') as typeof import('tokenizers');

/**
 * The textbook algorithm, recounting every pair each round: the reference the incremental trainer must match.
 * Ties go to the pair of smaller symbol ids (alphabet index, then merge order), the trainer's rule.
 */
function naiveBpe(words: Map<string, number>, alphabet: string[], merges: number, minFrequency: number) {
  const id = new Map(alphabet.map((c, i) => [c, i]));
  let split = [...words].map(([w, n]) => ({ syms: [...w], n }));
  const out: [string, string][] = [];
  for (let m = 0; m < merges; m++) {
    const counts = new Map<string, number>();
    for (const { syms, n } of split) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = `${syms[i]}\u0000${syms[i + 1]}`;
        counts.set(k, (counts.get(k) ?? 0) + n);
      }
    }
    let best: [string, string] | undefined;
    let bestCount = 0;
    for (const [k, c] of counts) {
      const pair = k.split('\u0000') as [string, string];
      const smaller =
        best !== undefined &&
        c === bestCount &&
        (id.get(pair[0])! < id.get(best[0])! || (pair[0] === best[0] && id.get(pair[1])! < id.get(best[1])!));
      if (c > bestCount || smaller) {
        best = pair;
        bestCount = c;
      }
    }
    if (best === undefined || bestCount < minFrequency) break;
    const [a, b] = best;
    out.push([a, b]);
    if (!id.has(a + b)) id.set(a + b, alphabet.length + m);
    split = split.map(({ syms, n }) => {
      const next: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (syms[i] === a && syms[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(syms[i]!);
      }
      return { syms: next, n };
    });
  }
  return out;
}

describe('BPE trainer', () => {
  it('learns the textbook merges on the low/lower/newest/widest corpus', () => {
    const words = new Map([
      ['low', 5],
      ['lower', 2],
      ['newest', 6],
      ['widest', 3],
    ]);
    const alphabet = [...new Set([...'lowernstid'])].sort();
    const model = trainBpe(words, { vocabSize: alphabet.length + 1 + 4, specialTokens: ['<pad>'], alphabet });
    expect(model.merges).toEqual([
      ['e', 's'],
      ['es', 't'],
      ['l', 'o'],
      ['lo', 'w'],
    ]);
    expect(model.vocab.get('<pad>')).toBe(0);
    expect(model.vocab.get('low')).toBe(alphabet.length + 4);
  });

  it('merges exactly as a naive full recount does, on real code', () => {
    const pre = tk.byteLevelPreTokenizer(false, true);
    const words = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      for (const [w] of pre.preTokenizeString(csnRow(i % 2 ? 'go' : 'python', i, 'train').code)) {
        words.set(w, (words.get(w) ?? 0) + 1);
      }
    }
    const alphabet = tk.byteLevelAlphabet().sort();
    const model = trainBpe(words, { vocabSize: 256 + 60, specialTokens: [], alphabet, minFrequency: 2 });
    expect(model.merges).toHaveLength(60);
    expect(model.merges).toEqual(naiveBpe(words, alphabet, 60, 2));
  });

  it('rejects a vocabulary smaller than specials plus bytes, naming the minimum', () => {
    expect(() =>
      trainBpe(new Map(), { vocabSize: 10, specialTokens: ['<s>'], alphabet: ['a', 'b'] }),
    ).not.toThrow();
    expect(() => trainBpe(new Map(), { vocabSize: 2, specialTokens: ['<s>'], alphabet: ['a', 'b'] })).toThrow(
      /at least 3/,
    );
  });
});

const corpus = Array.from({ length: 300 }, (_, i) => {
  const r = csnRow(i % 3 ? 'python' : 'go', i, 'train');
  return `${r.docstring}\n${r.code}`;
});

describe('CodeTokenizer', () => {
  it('trains a RoBERTa tokenizer of the configured size whose specials and template match tokenizers', async () => {
    const tok = await CodeTokenizer.train(corpus, { modelType: 'roberta', vocabSize: 450 });
    expect(tok.vocabSize).toBe(450);
    expect(tok.special).toEqual({ cls: 0, pad: 1, sep: 2, unk: 3, mask: 4 });
    expect(specialCount(tok.templates.single)).toBe(2);
    expect(specialCount(tok.templates.pair)).toBe(4);
    const [a, b] = ['Return the sum of squares.', 'def f(x):\n    return x * x'];
    const [ia, ib] = await tok.encodeBatch([a, b]);
    const hf = await tok.native.encode(a, b);
    expect(applyTemplate(tok.templates.pair, ia!, ib!).ids).toEqual(hf.getIds());
    expect(applyTemplate(tok.templates.single, ia!).ids).toEqual((await tok.native.encode(a)).getIds());
    // Training made merges: code compresses well below one token per byte.
    const [seen] = await tok.encodeBatch([corpus[1]!]);
    expect(seen!.length).toBeLessThan(Buffer.byteLength(corpus[1]!) / 3);
  });

  it('trains a BERT tokenizer with [CLS] A [SEP] B [SEP] and segment ids', async () => {
    const tok = await CodeTokenizer.train(corpus, { modelType: 'bert', vocabSize: 400 });
    expect(tok.special).toEqual({ pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
    const [ia, ib] = await tok.encodeBatch(['query', 'code()']);
    const hf = await tok.native.encode('query', 'code()');
    const ours = applyTemplate(tok.templates.pair, ia!, ib!);
    expect(ours.ids).toEqual(hf.getIds());
    expect(ours.typeIds).toEqual(hf.getTypeIds());
    expect(ours.typeIds.at(-1)).toBe(1);
  });

  it('round-trips any text through bytes, saves tokenizer.json and loads it back identically', async () => {
    const tok = await CodeTokenizer.train(corpus, { modelType: 'roberta', vocabSize: 500 });
    const text = 'naïve façade → 数据 🚀 "quotes"\n\ttabs';
    const [ids] = await tok.encodeBatch([text]);
    expect(await tok.decode(ids!)).toBe(text);
    const file = join(tempDir('tok'), 'tokenizer.json');
    tok.save(file);
    const again = loadTokenizer(file);
    expect(await again.encodeBatch([text, corpus[0]!])).toEqual(await tok.encodeBatch([text, corpus[0]!]));
    expect(again.vocabSize).toBe(500);
  });

  it('writes tokenizer_config.json naming the special tokens for transformers', async () => {
    const tok = await CodeTokenizer.train(corpus, { modelType: 'roberta', vocabSize: 300 });
    const dir = tempDir('tokdir');
    tok.saveToFolder(dir, 256);
    const cfg = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(cfg).toEqual({
      tokenizer_class: 'PreTrainedTokenizerFast',
      model_max_length: 256,
      clean_up_tokenization_spaces: false,
      pad_token: '<pad>',
      cls_token: '<s>',
      sep_token: '</s>',
      mask_token: '<mask>',
      unk_token: '<unk>',
      bos_token: '<s>',
      eos_token: '</s>',
    });
    expect(loadTokenizer(join(dir, 'tokenizer.json')).json).toBe(tok.json);
  });

  it('reads BertProcessing and Sequence post-processors (as in pretrained files) the way tokenizers applies them', async () => {
    const bert = JSON.parse((await CodeTokenizer.train(corpus, { modelType: 'bert', vocabSize: 400 })).json);
    const variants = [
      { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] },
      {
        type: 'Sequence',
        processors: [
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
          {
            type: 'RobertaProcessing',
            sep: ['[SEP]', 3],
            cls: ['[CLS]', 2],
            trim_offsets: true,
            add_prefix_space: false,
          },
        ],
      },
    ];
    for (const post_processor of variants) {
      const tok = CodeTokenizer.fromJson(JSON.stringify({ ...bert, post_processor }), post_processor.type);
      const [a, b] = ['Sort the list in place.', 'xs.sort()'];
      const [ia, ib] = await tok.encodeBatch([a, b]);
      for (const [ours, hf] of [
        [applyTemplate(tok.templates.pair, ia!, ib!), await tok.native.encode(a, b)],
        [applyTemplate(tok.templates.single, ia!), await tok.native.encode(a)],
      ] as const) {
        expect(ours.ids, post_processor.type).toEqual(hf.getIds());
        expect(ours.typeIds, post_processor.type).toEqual(hf.getTypeIds());
      }
    }
  });

  it('names the file when a tokenizer cannot be loaded', () => {
    expect(() => loadTokenizer('/nonexistent/tokenizer.json')).toThrow(
      /not readable: \/nonexistent\/tokenizer\.json/,
    );
    expect(() => CodeTokenizer.fromJson('{"model": 3}', 'bad.json')).toThrow(/bad\.json/);
  });
});
