// Counts the records a reader skipped, keeping where the first few were, so a run can report them at its end.

export interface SkipSite {
  file: string;
  /** 1-based line (jsonl) or row (parquet) of the skipped record. */
  line: number;
  reason: string;
}

export class SkipStats {
  skipped = 0;
  readonly first: SkipSite[] = [];

  constructor(readonly keep = 5) {}

  add(file: string, line: number, reason: string): void {
    this.skipped++;
    if (this.first.length < this.keep) this.first.push({ file, line, reason });
  }

  reset(): void {
    this.skipped = 0;
    this.first.length = 0;
  }

  /** One line per kept site: "skipped 3 records; first: a.jsonl.gz:7 (bad JSON: ...), ...". */
  format(): string {
    if (this.skipped === 0) return 'skipped 0 records';
    const sites = this.first.map((s) => `${s.file}:${s.line} (${s.reason})`).join('; ');
    const more = this.skipped > this.first.length ? '; ...' : '';
    return `skipped ${this.skipped} record${this.skipped === 1 ? '' : 's'}; first: ${sites}${more}`;
  }
}
