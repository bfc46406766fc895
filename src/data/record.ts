// The one record type every data source turns into: a CodeSearchNet function with its docstring.
// Readers (CodeSearchNet jsonl.gz, Hugging Face parquet, the cleaned jsonl) and the tree-sitter miner all
// produce it; the batcher, evaluation and the search index consume it.

export const CSN_LANGUAGES = ['go', 'java', 'javascript', 'php', 'python', 'ruby'] as const;
export type Split = 'train' | 'valid' | 'test';
export const SPLITS: readonly Split[] = ['train', 'valid', 'test'];

export interface CodeRecord {
  /** "owner/name" of the repository (or the mined tree's name). */
  repo: string;
  /** Path of the file inside the repository. */
  path: string;
  /** Qualified function name, e.g. "Parser.parse_args". */
  funcName: string;
  /** CodeSearchNet language name: go, java, javascript, php, python, ruby (the miner adds typescript). */
  language: string;
  /** The function's code without its docstring. */
  code: string;
  /** The docstring's first paragraph (the query); "" for an undocumented function. */
  docstring: string;
  /** A stable identifier: CodeSearchNet's url, or "file://path#Lstart-Lend" for mined code. */
  url: string;
  partition: Split;
  /** The function as written, docstring included. */
  originalString?: string;
  codeTokens?: string[];
  docstringTokens?: string[];
  sha?: string;
  /** 1-based first and last line of the function in its file, when known. */
  startLine?: number;
  endLine?: number;
}
