// The tokenizer of a model: a Hugging Face tokenizer.json, loaded or trained here, with the ids the batcher
// needs (pad, cls/bos, sep/eos, mask) and the templates that place them. Encoding runs in Rust (tokenizers).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { HfTokenizer as Tokenizer } from '../../model/hf-tokenizer.js';
import { trainBpe } from './bpe-trainer.js';
import { type SequenceTemplates, templatesFromPostProcessor } from './sequence-template.js';
import {
  buildTokenizerJson,
  codeAwareNormalize,
  MODEL_TYPES,
  type ModelType,
  SPECIAL_TOKENS,
} from './tokenizer-json.js';

const require = createRequire(import.meta.url);
const tk = require('tokenizers') as typeof import('tokenizers');

export interface SpecialIds {
  pad: number;
  /** [CLS] or <s>. */
  cls: number;
  /** [SEP] or </s>. */
  sep: number;
  mask?: number;
  unk?: number;
}

export interface TokenizerTrainConfig {
  modelType: ModelType;
  vocabSize: number;
  /** A pair seen fewer times is never merged (default 2). */
  minFrequency?: number;
  /** Stop reading training text after this many characters (default 8 MB): BPE's vocabulary settles early. */
  maxChars?: number;
  /** Split identifiers into lowercase words before BPE (CODE_AWARE_SPLITS); default false: plain byte-level. */
  codeAware?: boolean;
}

const NAMES = {
  pad: ['<pad>', '[PAD]'],
  cls: ['<s>', '[CLS]'],
  sep: ['</s>', '[SEP]'],
  mask: ['<mask>', '[MASK]'],
  unk: ['<unk>', '[UNK]'],
};

export class CodeTokenizer {
  readonly special: SpecialIds;
  readonly templates: SequenceTemplates;
  readonly vocabSize: number;

  private constructor(
    /** The tokenizer.json text, saved as it is beside the model. */
    readonly json: string,
    readonly native: Tokenizer,
    source: string,
  ) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      throw new Error(`${source}: not a JSON tokenizer.json: ${err instanceof Error ? err.message : err}`);
    }
    this.templates = templatesFromPostProcessor(parsed['post_processor']);
    this.vocabSize = native.getVocabSize(true);
    const find = (names: string[]) => {
      for (const n of names) {
        const id = native.tokenToId(n);
        if (id !== null && id !== undefined) return id;
      }
      return undefined;
    };
    const pad = find(NAMES.pad);
    const cls = find(NAMES.cls);
    const sep = find(NAMES.sep);
    for (const [name, id] of Object.entries({ pad, cls, sep })) {
      if (id === undefined) {
        throw new Error(
          `${source}: no ${name} token (${NAMES[name as 'pad'].join(' or ')}) in the vocabulary`,
        );
      }
    }
    this.special = { pad: pad!, cls: cls!, sep: sep! };
    const mask = find(NAMES.mask);
    if (mask !== undefined) this.special.mask = mask;
    const unk = find(NAMES.unk);
    if (unk !== undefined) this.special.unk = unk;
  }

  /** Loads a Hugging Face tokenizer.json; errors name the file. */
  static fromFile(file: string): CodeTokenizer {
    let json: string;
    try {
      json = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`tokenizer file not readable: ${file}: ${err instanceof Error ? err.message : err}`);
    }
    return CodeTokenizer.fromJson(json, file);
  }

  static fromJson(json: string, source = 'tokenizer.json'): CodeTokenizer {
    let native: Tokenizer;
    try {
      native = tk.Tokenizer.fromString(json);
    } catch (err) {
      throw new Error(`${source}: tokenizers could not load it: ${err instanceof Error ? err.message : err}`);
    }
    return new CodeTokenizer(json, native, source);
  }

  /** Trains a byte-level BPE on texts (e.g. the docstrings and code of the training split). */
  static async train(
    texts: AsyncIterable<string> | Iterable<string>,
    cfg: TokenizerTrainConfig,
  ): Promise<CodeTokenizer> {
    if (!MODEL_TYPES.includes(cfg.modelType)) {
      throw new Error(`tokenizer modelType must be one of ${MODEL_TYPES.join(', ')}, got "${cfg.modelType}"`);
    }
    const counts = await countWords(texts, cfg.maxChars ?? 8_000_000, cfg.codeAware ?? false);
    const model = trainBpe(counts, {
      vocabSize: cfg.vocabSize,
      specialTokens: SPECIAL_TOKENS[cfg.modelType].order,
      alphabet: [...tk.byteLevelAlphabet()].sort(),
      minFrequency: cfg.minFrequency ?? 2,
    });
    return CodeTokenizer.fromJson(
      JSON.stringify(buildTokenizerJson(model, cfg.modelType, cfg.codeAware ?? false)),
      'trained tokenizer',
    );
  }

  /** Writes tokenizer.json (Hugging Face's format). */
  save(file: string): void {
    writeFileSync(file, this.json);
  }

  /**
   * transformers' tokenizer_config.json for this tokenizer, so AutoTokenizer.from_pretrained(modelDir) knows
   * its special tokens (it reads tokenizer.json through PreTrainedTokenizerFast).
   */
  hfTokenizerConfig(modelMaxLength: number): Record<string, unknown> {
    const name = (id: number | undefined) => (id === undefined ? undefined : this.native.idToToken(id));
    const config: Record<string, unknown> = {
      tokenizer_class: 'PreTrainedTokenizerFast',
      model_max_length: modelMaxLength,
      clean_up_tokenization_spaces: false,
    };
    const roles = { pad_token: this.special.pad, cls_token: this.special.cls, sep_token: this.special.sep };
    for (const [key, id] of Object.entries({
      ...roles,
      mask_token: this.special.mask,
      unk_token: this.special.unk,
    })) {
      const token = name(id);
      if (token) config[key] = token;
    }
    // RoBERTa-style tokenizers also name <s> and </s> as bos and eos.
    if (config['cls_token'] === '<s>') config['bos_token'] = '<s>';
    if (config['sep_token'] === '</s>') config['eos_token'] = '</s>';
    return config;
  }

  /** Writes tokenizer.json and tokenizer_config.json into a model folder. */
  saveToFolder(dir: string, modelMaxLength: number): void {
    this.save(join(dir, 'tokenizer.json'));
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      `${JSON.stringify(this.hfTokenizerConfig(modelMaxLength), null, 2)}\n`,
    );
  }

  /** Token ids of each text, without special tokens (the batcher truncates, then adds them). In Rust, async. */
  async encodeBatch(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const encodings = await this.native.encodeBatch(texts, { addSpecialTokens: false });
    return encodings.map((e) => e.getIds());
  }

  async decode(ids: number[], skipSpecialTokens = true): Promise<string> {
    return this.native.decode(ids, skipSpecialTokens);
  }
}

/** Word counts after the byte-level pre-tokenizer (in Rust, the same one encoding uses). */
async function countWords(
  texts: AsyncIterable<string> | Iterable<string>,
  maxChars: number,
  codeAware: boolean,
): Promise<Map<string, number>> {
  const pre = codeAware
    ? tk.sequencePreTokenizer([
        tk.whitespaceSplitPreTokenizer(),
        tk.punctuationPreTokenizer('isolated'),
        tk.byteLevelPreTokenizer(true, false),
      ])
    : tk.byteLevelPreTokenizer(false, true);
  const counts = new Map<string, number>();
  let chars = 0;
  for await (const text of texts) {
    const normalized = codeAware ? codeAwareNormalize(text) : text;
    for (const [word] of pre.preTokenizeString(normalized)) counts.set(word, (counts.get(word) ?? 0) + 1);
    chars += text.length;
    if (chars >= maxChars) break;
  }
  return counts;
}

/** Loads a Hugging Face tokenizer.json. */
export function loadTokenizer(file: string): CodeTokenizer {
  return CodeTokenizer.fromFile(file);
}
