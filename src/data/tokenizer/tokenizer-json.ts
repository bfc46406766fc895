// Writes a trained byte-level BPE as a Hugging Face tokenizer.json with the special tokens and post-processor of
// the model type, so the tokenizers package (Rust) encodes with it and transformers loads it as it is.
import type { BpeModel } from './bpe-trainer.js';

export const MODEL_TYPES = ['bert', 'roberta'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

export interface SpecialTokenNames {
  pad: string;
  unk: string;
  cls: string;
  sep: string;
  mask: string;
}

/** The special tokens of each model type, in the order they take ids 0..4. */
export const SPECIAL_TOKENS: Record<ModelType, SpecialTokenNames & { order: string[] }> = {
  roberta: {
    cls: '<s>',
    pad: '<pad>',
    sep: '</s>',
    unk: '<unk>',
    mask: '<mask>',
    order: ['<s>', '<pad>', '</s>', '<unk>', '<mask>'],
  },
  bert: {
    pad: '[PAD]',
    unk: '[UNK]',
    cls: '[CLS]',
    sep: '[SEP]',
    mask: '[MASK]',
    order: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
  },
};

const BYTE_LEVEL = { add_prefix_space: false, trim_offsets: true, use_regex: true };

/**
 * Code-aware splitting, as BM25's tokenizer does it: camelCase and snake_case identifiers become lowercase words
 * (`filePath` -> `file path`, `count_lines` -> `count _ lines`), punctuation stands alone, and every word gets
 * the same leading-space byte, so "lines" in a docstring and in `count_lines` is one token. The layout of the
 * code (case, indentation, newlines) is not kept: decoding gives the words, not the source.
 */
export const CODE_AWARE_SPLITS: readonly [RegExp, string][] = [
  [/(?<=[a-z0-9])(?=[A-Z])/g, ' '],
  [/(?<=[A-Z])(?=[A-Z][a-z])/g, ' '],
  [/_/g, ' _ '],
];

/** The same normalization in JavaScript, for counting words when training (encoding runs the Rust one). */
export function codeAwareNormalize(text: string): string {
  let out = text;
  for (const [pattern, content] of CODE_AWARE_SPLITS) out = out.replace(pattern, content);
  return out.toLowerCase();
}

const CODE_AWARE_NORMALIZER = {
  type: 'Sequence',
  normalizers: [
    ...CODE_AWARE_SPLITS.map(([pattern, content]) =>
      pattern.source === '_'
        ? { type: 'Replace', pattern: { String: '_' }, content }
        : { type: 'Replace', pattern: { Regex: pattern.source }, content },
    ),
    { type: 'Lowercase' },
  ],
};

const CODE_AWARE_PRE_TOKENIZER = {
  type: 'Sequence',
  pretokenizers: [
    { type: 'WhitespaceSplit' },
    { type: 'Punctuation', behavior: 'Isolated' },
    { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: false },
  ],
};

function postProcessor(type: ModelType, vocab: Map<string, number>): object {
  const s = SPECIAL_TOKENS[type];
  const id = (t: string) => vocab.get(t)!;
  if (type === 'roberta') {
    return {
      type: 'RobertaProcessing',
      sep: [s.sep, id(s.sep)],
      cls: [s.cls, id(s.cls)],
      trim_offsets: true,
      add_prefix_space: false,
    };
  }
  const special = (t: string, typeId: number) => ({ SpecialToken: { id: t, type_id: typeId } });
  const seq = (name: 'A' | 'B', typeId: number) => ({ Sequence: { id: name, type_id: typeId } });
  return {
    type: 'TemplateProcessing',
    single: [special(s.cls, 0), seq('A', 0), special(s.sep, 0)],
    pair: [special(s.cls, 0), seq('A', 0), special(s.sep, 0), seq('B', 1), special(s.sep, 1)],
    special_tokens: Object.fromEntries([s.cls, s.sep].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
  };
}

/** The tokenizer.json object of a byte-level BPE model for a model type. */
export function buildTokenizerJson(model: BpeModel, type: ModelType, codeAware = false): object {
  const s = SPECIAL_TOKENS[type];
  const addedTokens = s.order.map((content) => ({
    id: model.vocab.get(content),
    content,
    single_word: false,
    // RoBERTa's <mask> swallows the space before it, as in roberta-base.
    lstrip: content === '<mask>',
    rstrip: false,
    normalized: false,
    special: true,
  }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: codeAware ? CODE_AWARE_NORMALIZER : null,
    pre_tokenizer: codeAware ? CODE_AWARE_PRE_TOKENIZER : { type: 'ByteLevel', ...BYTE_LEVEL },
    post_processor: postProcessor(type, model.vocab),
    decoder: { type: 'ByteLevel', ...BYTE_LEVEL },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(model.vocab),
      merges: model.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}
