// The tokenizations written into code_tokens and docstring_tokens, and the word count the docstring filter
// uses. Deliberately simple and documented: identifiers (letters, digits, _ and $), numbers, and every other
// non-space character as a token of its own. The model's own tokenizer works on the raw strings.

const CODE_TOKEN = /[\p{L}_$][\p{L}\p{N}_$]*|\p{N}+(?:\.\p{N}+)?|[^\s\p{L}\p{N}_$]/gu;
const TEXT_TOKEN = /[\p{L}\p{N}_]+(?:['’][\p{L}]+)?|[^\s\p{L}\p{N}_]/gu;
const WORD = /[\p{L}\p{N}_]+/gu;

export function codeTokens(code: string): string[] {
  return code.match(CODE_TOKEN) ?? [];
}

export function docstringTokens(text: string): string[] {
  return text.match(TEXT_TOKEN) ?? [];
}

/** Words of a text: runs of letters, digits and underscores (punctuation does not count). */
export function wordCount(text: string): number {
  return text.match(WORD)?.length ?? 0;
}
