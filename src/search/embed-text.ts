// What the model embeds of a function. BM25 always scores, and search always shows, the function as written;
// the model may see another text of it. The training pairs hold code without its docstring (the docstring is
// the query), while a function as written often starts with a doc comment that fills the model's 128 tokens
// (a quarter of the JDK's functions spend 100 or more tokens on a leading javadoc), so the choice matters.
import type { CodeRecord } from '../data/record.js';

/**
 * - whole: the function as written, doc comment or docstring included;
 * - code: without its doc comment or docstring (as the training pairs hold code);
 * - code-doc: that code, then the docstring's first paragraph (a cut at the model's length drops the doc);
 * - doc-code: the docstring's first paragraph, then the code (a short summary first, never a whole javadoc).
 */
export type EmbedText = 'whole' | 'code' | 'code-doc' | 'doc-code';
export const EMBED_TEXTS: readonly EmbedText[] = ['whole', 'code', 'code-doc', 'doc-code'];

/**
 * What `secora index` embeds unless told otherwise: chosen on the validation questions
 * (questions/validation.jsonl; bench/RESULTS.md, "What the model embeds of a function"), where it gave the best
 * model and hybrid. An index records the text its vectors embed; one built before this was recorded embeds
 * 'whole' and is embedded again by the next `secora index`.
 */
export const DEFAULT_EMBED_TEXT: EmbedText = 'doc-code';

/** What an index without a recorded text embeds (files written before it was recorded). */
export const LEGACY_EMBED_TEXT: EmbedText = 'whole';

/** A function's texts: as written, without its docstring (when the miner cut one), the docstring's summary. */
export interface FunctionTexts {
  /** The function as written. */
  code: string;
  /** The code without its doc comment or docstring, when there was one. */
  bare?: string;
  /** The docstring's first paragraph, when there is one. */
  doc?: string;
}

/** The text the model embeds of one function. */
export function textToEmbed(f: FunctionTexts, embedText: EmbedText): string {
  if (embedText === 'whole') return f.code;
  const bare = f.bare ?? f.code;
  if (!f.doc || embedText === 'code') return bare;
  return embedText === 'code-doc' ? `${bare}\n${f.doc}` : `${f.doc}\n${bare}`;
}

/** A mined record's texts (the miner's `code` is the code without its docstring). */
export function recordTexts(record: CodeRecord): FunctionTexts {
  const whole = record.originalString ?? record.code;
  return {
    code: whole,
    ...(whole !== record.code ? { bare: record.code } : {}),
    ...(record.docstring ? { doc: record.docstring } : {}),
  };
}

/** `value` as an EmbedText, or an error naming `where` (a flag, a key) and the allowed values. */
export function checkEmbedText(value: unknown, where: string): EmbedText {
  if (typeof value === 'string' && (EMBED_TEXTS as readonly string[]).includes(value))
    return value as EmbedText;
  throw new Error(`${where} must be one of ${EMBED_TEXTS.join(', ')}, got ${JSON.stringify(value)}`);
}
