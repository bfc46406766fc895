// Turns one CodeSearchNet-schema object (the original jsonl, GraphCodeBERT's cleaned jsonl) into a CodeRecord.
import type { CodeRecord, Split } from './record.js';

/** The record, or the reason it is unusable (the caller skips and counts it). */
export type Parsed = { record: CodeRecord } | { reason: string };

const SPLIT_NAMES: Record<string, Split> = {
  train: 'train',
  valid: 'valid',
  validation: 'valid',
  test: 'test',
};

/** Maps CodeSearchNet's and Hugging Face's split names (train, valid, validation, test) to a Split. */
export function toSplit(name: unknown): Split | undefined {
  return typeof name === 'string' ? SPLIT_NAMES[name] : undefined;
}

function str(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' ? v : undefined;
}

function strings(obj: Record<string, unknown>, key: string): string[] | undefined {
  const v = obj[key];
  if (!Array.isArray(v) || !v.every((t) => typeof t === 'string')) return undefined;
  return v as string[];
}

export interface CsnDefaults {
  language?: string;
  partition: Split;
}

/**
 * Reads the CodeSearchNet fields (repo, path, func_name, original_string, language, code, code_tokens,
 * docstring, docstring_tokens, sha, partition, url). Code and docstring must be non-blank; a missing docstring
 * falls back to the joined docstring_tokens (GraphCodeBERT's valid/test files carry only those).
 */
export function parseCsnObject(value: unknown, defaults: CsnDefaults): Parsed {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { reason: 'not a JSON object' };
  }
  const obj = value as Record<string, unknown>;
  const code = str(obj, 'code') ?? str(obj, 'original_string');
  if (code === undefined || code.trim() === '') return { reason: 'missing code' };
  const docstringTokens = strings(obj, 'docstring_tokens');
  const docstring = str(obj, 'docstring') ?? docstringTokens?.join(' ');
  if (docstring === undefined || docstring.trim() === '') return { reason: 'missing docstring' };
  const language = str(obj, 'language') ?? defaults.language;
  if (language === undefined) return { reason: 'missing language' };
  const url = str(obj, 'url');
  if (url === undefined || url === '') return { reason: 'missing url' };
  const record: CodeRecord = {
    repo: str(obj, 'repo') ?? '',
    path: str(obj, 'path') ?? '',
    funcName: str(obj, 'func_name') ?? '',
    language,
    code,
    docstring,
    url,
    partition: toSplit(obj['partition']) ?? defaults.partition,
  };
  const originalString = str(obj, 'original_string');
  if (originalString !== undefined) record.originalString = originalString;
  const codeTokens = strings(obj, 'code_tokens');
  if (codeTokens) record.codeTokens = codeTokens;
  if (docstringTokens) record.docstringTokens = docstringTokens;
  const sha = str(obj, 'sha');
  if (sha !== undefined) record.sha = sha;
  // The miner's additions: where the function is in its file.
  const start = obj['start_line'];
  const end = obj['end_line'];
  if (Number.isInteger(start) && (start as number) >= 1) record.startLine = start as number;
  if (Number.isInteger(end) && (end as number) >= (record.startLine ?? 1)) record.endLine = end as number;
  return { record };
}

/** Parses one jsonl line; bad JSON is a reason, not an exception. */
export function parseCsnLine(text: string, defaults: CsnDefaults): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { reason: `bad JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  return parseCsnObject(value, defaults);
}
