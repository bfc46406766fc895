// The parts of the `tokenizers` package's Tokenizer and Encoding that secora uses, as secora's own types:
// that package's declarations do not typecheck with skipLibCheck false, and secora's public types must, so
// no declaration secora ships names them. A tokenizers.Tokenizer is assignable to HfTokenizer.

export interface HfEncoding {
  getIds(): number[];
  getTypeIds(): number[];
  getAttentionMask(): number[];
  getTokens(): string[];
}

export interface HfEncodeOptions {
  isPretokenized?: boolean;
  addSpecialTokens?: boolean;
}

export interface HfTokenizer {
  encode(sentence: string, pair?: string | null, options?: HfEncodeOptions | null): Promise<HfEncoding>;
  encodeBatch(sentences: string[], options?: HfEncodeOptions | null): Promise<HfEncoding[]>;
  decode(ids: number[], skipSpecialTokens: boolean): Promise<string>;
  setTruncation(maxLength: number): void;
  disablePadding(): void;
  getVocabSize(withAddedTokens?: boolean | null): number;
  idToToken(id: number): string | null;
  tokenToId(token: string): number | null;
  save(path: string, pretty?: boolean | null): void;
}
