// What a mining run counts: files seen and skipped (by reason, with the first few of each), functions found
// and filtered (by rule), and the records kept per language and split. Printed at the end of `secora corpus`.
import type { Split } from '../record.js';
import { SPLITS } from '../record.js';

export const FILE_SKIPS = [
  'gitignored',
  'excluded',
  'vendored',
  'testFile',
  'huge',
  'binary',
  'nonUtf8',
  'minified',
  'generated',
  'parseError',
  'unreadable',
] as const;
export type FileSkip = (typeof FILE_SKIPS)[number];

export const FUNCTION_FILTERS = [
  'undocumented',
  'shortDocstring',
  'shortFunction',
  'testFunction',
  'trivialConstructor',
  'duplicate',
] as const;
export type FunctionFilter = (typeof FUNCTION_FILTERS)[number];

/** How many files of each skip reason are named in the report. */
export const EXAMPLES_PER_REASON = 5;

export interface MineReport {
  minerVersion: string;
  /** Records kept, per language and split. */
  counts: Record<string, Record<Split, number>>;
  /** Source files read (in a mined language) and parsed, per language. */
  files: { read: number; parsed: Record<string, number> };
  /** Files skipped, by reason (vendored: folders; gitignored and excluded: folders and files). */
  skipped: Record<FileSkip, number>;
  /** The first few paths skipped for each reason (parse errors with the line of the first error). */
  skippedExamples: Partial<Record<FileSkip, string[]>>;
  functions: { found: number; kept: number };
  /** Functions dropped, by the first rule that dropped them. */
  filtered: Record<FunctionFilter, number>;
  elapsedMs: number;
}

export function emptyReport(minerVersion: string): MineReport {
  return {
    minerVersion,
    counts: {},
    files: { read: 0, parsed: {} },
    skipped: Object.fromEntries(FILE_SKIPS.map((r) => [r, 0])) as Record<FileSkip, number>,
    skippedExamples: {},
    functions: { found: 0, kept: 0 },
    filtered: Object.fromEntries(FUNCTION_FILTERS.map((r) => [r, 0])) as Record<FunctionFilter, number>,
    elapsedMs: 0,
  };
}

export function countSkip(report: MineReport, reason: FileSkip, path: string): void {
  report.skipped[reason]++;
  const examples = report.skippedExamples[reason] ?? [];
  if (examples.length < EXAMPLES_PER_REASON) examples.push(path);
  report.skippedExamples[reason] = examples;
}

export function countKept(report: MineReport, language: string, split: Split): void {
  report.counts[language] ??= { train: 0, valid: 0, test: 0 };
  report.counts[language][split]++;
  report.functions.kept++;
}

/** The per-language/split table and the skip and filter counts, as `secora corpus` prints them. */
export function formatReport(report: MineReport, cached = false): string {
  const rows = Object.entries(report.counts).sort(([a], [b]) => (a < b ? -1 : 1));
  const total = (c: Record<Split, number>) => c.train + c.valid + c.test;
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  const lines = [`${'language'.padEnd(12)}${SPLITS.map((s) => pad(s, 9)).join('')}${pad('total', 9)}`];
  for (const [language, c] of rows)
    lines.push(`${language.padEnd(12)}${SPLITS.map((s) => pad(c[s], 9)).join('')}${pad(total(c), 9)}`);
  const sum = { train: 0, valid: 0, test: 0 };
  for (const [, c] of rows) for (const s of SPLITS) sum[s] += c[s];
  lines.push(`${'all'.padEnd(12)}${SPLITS.map((s) => pad(sum[s], 9)).join('')}${pad(total(sum), 9)}`);
  const parsed = Object.values(report.files.parsed).reduce((a, b) => a + b, 0);
  lines.push('', `files: ${report.files.read} read, ${parsed} parsed`);
  lines.push(`functions: ${report.functions.found} found, ${report.functions.kept} kept`);
  const nonzero = (o: Record<string, number>) =>
    Object.entries(o)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  lines.push(`skipped: ${nonzero(report.skipped)}`, `filtered: ${nonzero(report.filtered)}`);
  for (const reason of ['parseError', 'binary', 'nonUtf8', 'huge', 'unreadable'] as const) {
    const examples = report.skippedExamples[reason];
    if (examples?.length)
      lines.push(
        `  ${reason}: ${examples.join(', ')}${report.skipped[reason] > examples.length ? ', …' : ''}`,
      );
  }
  const seconds = (report.elapsedMs / 1000).toFixed(1);
  lines.push(cached ? `time: cached (mining it took ${seconds} s)` : `time: ${seconds} s`);
  return lines.join('\n');
}
