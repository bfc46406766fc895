// Counts the records a reader skipped, keeping where the first few were, so a run can report them at its end.

export interface SkipSite {
  file: string;
  /** 1-based line (jsonl) or row (parquet) of the skipped record. */
  line: number;
  reason: string;
}

/** data.max_record_chars's default: far beyond any real function, far below what stalls the tokenizer. */
export const DEFAULT_MAX_RECORD_CHARS = 100_000;

export class SkipStats {
  skipped = 0;
  /** Records whose docstring and code together are longer are skipped before anything tokenizes them. */
  maxRecordChars = DEFAULT_MAX_RECORD_CHARS;
  readonly first: SkipSite[] = [];
  /** Records kept although some of their bytes were not UTF-8 (each such byte became U+FFFD). */
  notUtf8 = 0;
  /** Files that ended early (a truncated .gz): where, and how many records had been read from each. */
  readonly truncated: { file: string; line: number; records: number }[] = [];

  constructor(readonly keep = 5) {}

  add(file: string, line: number, reason: string): void {
    this.skipped++;
    if (this.first.length < this.keep) this.first.push({ file, line, reason });
  }

  /** The reason to skip a record that is too long (counted where it is), or null to keep it. */
  tooLong(file: string, line: number, docstring: string, code: string): boolean {
    const chars = docstring.length + code.length;
    if (chars <= this.maxRecordChars) return false;
    this.add(file, line, `${chars} characters, over data.max_record_chars (${this.maxRecordChars})`);
    return true;
  }

  /** A file that could not be read to its end: the records after `line` are lost, and how many is unknown. */
  addTruncated(file: string, line: number, records: number, reason: string): void {
    this.truncated.push({ file, line, records });
    this.add(file, line, reason);
  }

  reset(): void {
    this.skipped = 0;
    this.first.length = 0;
    this.notUtf8 = 0;
    this.truncated.length = 0;
  }

  /** Whether anything is worth reporting. */
  get any(): boolean {
    return this.skipped > 0 || this.notUtf8 > 0;
  }

  /** One line per kept site: "skipped 3 records; first: a.jsonl.gz:7 (bad JSON: ...), ...". */
  format(): string {
    const parts: string[] = [];
    if (this.skipped === 0) parts.push('skipped 0 records');
    else {
      const sites = this.first.map((s) => `${s.file}:${s.line} (${s.reason})`).join('; ');
      const more = this.skipped > this.first.length ? '; ...' : '';
      parts.push(`skipped ${this.skipped} record${this.skipped === 1 ? '' : 's'}; first: ${sites}${more}`);
    }
    for (const t of this.truncated)
      parts.push(
        `${t.file} is truncated: ${t.records} records read up to line ${t.line - 1}, the rest of the file is lost`,
      );
    if (this.notUtf8 > 0)
      parts.push(
        `${this.notUtf8} record${this.notUtf8 === 1 ? '' : 's'} kept with bytes that are not UTF-8 (read as U+FFFD)`,
      );
    return parts.join('; ');
  }
}
