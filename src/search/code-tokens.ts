// Code-aware tokenization for BM25 and the hashing embedder: identifiers are split where a programmer would
// read a word boundary, so `parseHTTPResponse`, `parse_http_response` and "parse the HTTP response" meet.

/**
 * A tiny English stop list, dropped only when asked (`dropStopWords`): articles, copulas and the
 * prepositions that fill docstrings ("Returns the value of the ..."). Code keywords are kept on purpose.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'by',
  'for',
  'from',
  'in',
  'is',
  'it',
  'of',
  'on',
  'or',
  'that',
  'the',
  'this',
  'to',
  'was',
  'with',
]);

export interface CodeTokenOptions {
  /** Drop the words in STOP_WORDS (default false: BM25's IDF already discounts them). */
  dropStopWords?: boolean;
}

const WORD = /[\p{L}\p{N}]+/gu;
// Boundaries inside a word: lower→Upper ("parseHttp"), UPPER→Upper+lower ("HTTPResponse"), letter↔digit; scripts without case (CJK) stay whole.
const SUBWORD = /\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?\p{Ll}+|\p{Lu}+|\p{N}+|[\p{Lo}\p{Lm}\p{Lt}]+|[\p{L}\p{N}]/gu;

/**
 * Lowercased subtokens of `text`: split on anything that is not a letter or digit (so snake_case, dots,
 * operators), then camelCase and acronym boundaries, then letters from digits. "getHTTP2Url_v1" →
 * get, http, 2, url, v, 1.
 */
export function codeTokens(text: string, options: CodeTokenOptions = {}): string[] {
  const out: string[] = [];
  for (const word of text.match(WORD) ?? []) {
    for (const piece of word.match(SUBWORD) ?? []) {
      const token = piece.toLowerCase();
      if (options.dropStopWords && STOP_WORDS.has(token)) continue;
      out.push(token);
    }
  }
  return out;
}
