// The miner: source trees in, CodeSearchNet-style (docstring, function) records out. mineFunctions streams
// the records of one root; mineCorpus writes the records of many roots in CodeSearchNet's layout.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Node } from 'web-tree-sitter';
import type { CodeRecord } from '../record.js';
import { type ExtractedFunction, extractFunctions } from './extract.js';
import {
  decodeUtf8,
  isBinary,
  isGenerated,
  isMinified,
  isTestFunctionName,
  isTestPath,
} from './file-rules.js';
import { parserFor } from './grammars.js';
import { type LanguageSpec, languageOfFile, type MinedLanguage } from './languages.js';
import {
  countKept,
  countSkip,
  emptyReport,
  type FileSkip,
  type FunctionFilter,
  type MineReport,
} from './report.js';
import { DEFAULT_RATIOS, type SplitRatios, splitOf } from './split.js';
import { codeTokens, docstringTokens, wordCount } from './tokens.js';
import { type MineRoot, type SourceFile, walkRoot } from './walk.js';

/** Bump when the miner's output for the same input changes: it keys the cached default corpus. */
export const MINER_VERSION = '4';

export interface MineOptions {
  /**
   * true (default): CodeSearchNet pairs only, with its filters (docstring of 3+ words, function of 3+ lines,
   * no test files or test functions, no trivial constructors, no duplicates). false: every named function,
   * documented or not, tests included and nothing filtered, for indexing a repository for search.
   */
  documentedOnly?: boolean;
  /** Languages to mine (default: all the miner knows). */
  languages?: readonly MinedLanguage[];
  /** Files larger than this are skipped as huge (default 1 MB). */
  maxFileBytes?: number;
  /** A file with a longer line is skipped as minified (default 1000 characters). */
  maxLineLength?: number;
  ratios?: SplitRatios;
  /** A file whose parse takes longer is given up and counted as a parse error (default 10 s). */
  parseTimeoutMs?: number;
  minDocstringWords?: number;
  minCodeLines?: number;
  /** Counts are added here (mineCorpus passes one report through all its roots). */
  report?: MineReport;
  /** Hashes of normalized code already kept: deduplication across calls. */
  seen?: Set<string>;
  /** The files to mine, already walked (default: walk the root). */
  files?: Iterable<SourceFile> | AsyncIterable<SourceFile>;
  /** Told of every file or folder skipped, with the reason (the report keeps only the first few). */
  onSkip?: (reason: FileSkip, path: string) => void;
  /** Told of every file read, before it is parsed (progress). */
  onFile?: (file: SourceFile) => void;
  /**
   * A file with syntax errors: keep the functions tree-sitter parsed without error (and report the file as
   * a parse error with how many were kept), instead of skipping the whole file. Default: !documentedOnly.
   */
  keepPartial?: boolean;
}

const DEFAULTS = {
  documentedOnly: true,
  maxFileBytes: 1_000_000,
  maxLineLength: 1000,
  ratios: DEFAULT_RATIOS,
  parseTimeoutMs: 10_000,
  minDocstringWords: 3,
  minCodeLines: 3,
};

type Settings = typeof DEFAULTS & { languages?: readonly MinedLanguage[] | undefined };

/** The text of a file, or the reason it is skipped. */
async function readSource(
  file: SourceFile,
  settings: Settings,
): Promise<string | { skip: Parameters<typeof countSkip>[1] }> {
  try {
    if ((await stat(file.abs)).size > settings.maxFileBytes) return { skip: 'huge' };
    const bytes = await readFile(file.abs);
    if (isBinary(bytes)) return { skip: 'binary' };
    const text = decodeUtf8(bytes);
    if (text === undefined) return { skip: 'nonUtf8' };
    if (isMinified(basename(file.abs), text, settings.maxLineLength)) return { skip: 'minified' };
    if (isGenerated(text)) return { skip: 'generated' };
    return text;
  } catch {
    return { skip: 'unreadable' };
  }
}

/** The first rule that drops a function, or undefined when it is kept. */
function filterOf(fn: ExtractedFunction, settings: Settings, seen: Set<string>): FunctionFilter | undefined {
  if (!settings.documentedOnly) return undefined;
  if (!fn.docstring) return 'undocumented';
  if (wordCount(fn.docstring) < settings.minDocstringWords) return 'shortDocstring';
  if (fn.code.split('\n').length < settings.minCodeLines) return 'shortFunction';
  if (isTestFunctionName(fn.name)) return 'testFunction';
  if (fn.trivialConstructor) return 'trivialConstructor';
  const hash = createHash('sha1').update(fn.normalizedCode).digest('hex');
  if (seen.has(hash)) return 'duplicate';
  seen.add(hash);
  return undefined;
}

function toRecord(
  fn: ExtractedFunction,
  file: SourceFile,
  spec: LanguageSpec,
  sha: string,
  settings: Settings,
): CodeRecord {
  return {
    repo: file.repo,
    path: file.path,
    funcName: fn.funcName,
    language: spec.language,
    code: fn.code,
    docstring: fn.docstring,
    url: `file://${file.repo}/${file.path}#L${fn.startLine}-L${fn.endLine}`,
    partition: splitOf(file.unit, settings.ratios),
    originalString: fn.originalString,
    codeTokens: codeTokens(fn.code),
    docstringTokens: docstringTokens(fn.docstring),
    sha,
    startLine: fn.startLine,
    endLine: fn.endLine,
  };
}

/** The line of the first syntax error (an ERROR or MISSING node) in a tree, for the report. */
function firstErrorLine(root: Node): number {
  let node = root;
  for (;;) {
    if (node.isError || node.isMissing) return node.startPosition.row + 1;
    const child = node.children.find((c) => c?.hasError || c?.isMissing);
    if (!child) return node.startPosition.row + 1;
    node = child;
  }
}

/**
 * The functions of one root, file by file in a stable order, as CodeRecords with their split. Files the
 * miner cannot or should not read are skipped and counted in options.report; so are filtered functions.
 */
export async function* mineFunctions(
  root: string | MineRoot,
  options: MineOptions = {},
): AsyncGenerator<CodeRecord> {
  const settings: Settings = { ...DEFAULTS, ...definedOnly(options), languages: options.languages };
  const report = options.report ?? emptyReport(MINER_VERSION);
  const seen = options.seen ?? new Set<string>();
  const skip = (reason: FileSkip, path: string) => {
    countSkip(report, reason, path);
    options.onSkip?.(reason, path);
  };
  const keepPartial = options.keepPartial ?? !settings.documentedOnly;
  const files = options.files ?? walkRoot(root, skip);
  for await (const file of files) {
    const spec = languageOfFile(file.path);
    if (!spec || (settings.languages && !settings.languages.includes(spec.language))) continue;
    if (settings.documentedOnly && isTestPath(file.path)) {
      skip('testFile', file.abs);
      continue;
    }
    report.files.read++;
    options.onFile?.(file);
    const text = await readSource(file, settings);
    if (typeof text !== 'string') {
      skip(text.skip, file.abs);
      continue;
    }
    const parser = await parserFor(spec.grammar);
    const deadline = performance.now() + settings.parseTimeoutMs;
    // web-tree-sitter cancels the parse when the callback returns true (its typings say void).
    const progressCallback = (() => performance.now() > deadline) as () => void;
    const tree = parser.parse(text, null, { progressCallback });
    if (!tree) {
      skip('parseError', `${file.abs}: parse timed out`);
      continue;
    }
    try {
      let functions = extractFunctions(tree.rootNode, text, spec);
      if (tree.rootNode.hasError) {
        const where = `${file.abs}:${firstErrorLine(tree.rootNode)}`;
        if (!keepPartial) {
          skip('parseError', where);
          continue;
        }
        const clean = functions.filter((fn) => !fn.hasError);
        skip('parseError', `${where} (kept ${clean.length} of ${functions.length} functions)`);
        functions = clean;
      }
      report.files.parsed[spec.language] = (report.files.parsed[spec.language] ?? 0) + 1;
      const sha = createHash('sha1').update(text).digest('hex');
      for (const fn of functions) {
        report.functions.found++;
        const filter = filterOf(fn, settings, seen);
        if (filter) {
          report.filtered[filter]++;
          continue;
        }
        const record = toRecord(fn, file, spec, sha, settings);
        countKept(report, record.language, record.partition);
        yield record;
      }
    } finally {
      tree.delete();
    }
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
