// CodeSearchNet's human relevance annotations (annotationStore.csv): Language, Query, GitHubUrl, Relevance
// (0–3), Notes. A malformed row is skipped and counted with its line, never fatal.
import { readFileSync } from 'node:fs';

export interface Annotation {
  language: string;
  query: string;
  url: string;
  relevance: number;
}

export interface AnnotationFile {
  annotations: Annotation[];
  /** "file:line: why" for the first skipped rows, and how many were skipped in all. */
  skipped: { count: number; examples: string[] };
}

/** RFC 4180 rows: commas, double quotes, doubled quotes inside quotes, newlines inside quotes. */
export function parseCsv(text: string): { row: string[]; line: number }[] {
  const rows: { row: string[]; line: number }[] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push({ row, line: rowLine });
      row = [];
      field = '';
      line++;
      rowLine = line;
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push({ row, line: rowLine });
  }
  return rows.filter((r) => !(r.row.length === 1 && r.row[0] === ''));
}

export function readAnnotations(file: string): AnnotationFile {
  const rows = parseCsv(readFileSync(file, 'utf8'));
  const header = rows.shift()?.row.map((h) => h.trim().toLowerCase()) ?? [];
  const col = (name: string) => {
    const i = header.indexOf(name.toLowerCase());
    if (i < 0) throw new Error(`${file}: no '${name}' column (header: ${header.join(', ')})`);
    return i;
  };
  const [lang, query, url, rel] = [col('Language'), col('Query'), col('GitHubUrl'), col('Relevance')];
  const out: AnnotationFile = { annotations: [], skipped: { count: 0, examples: [] } };
  for (const { row, line } of rows) {
    const relevance = Number(row[rel]);
    const why =
      row.length < header.length
        ? `${row.length} fields, expected ${header.length}`
        : !Number.isInteger(relevance) || relevance < 0 || relevance > 3
          ? `Relevance '${row[rel]}' is not 0–3`
          : !row[query]?.trim() || !row[url]?.trim()
            ? 'empty Query or GitHubUrl'
            : undefined;
    if (why) {
      out.skipped.count++;
      if (out.skipped.examples.length < 5) out.skipped.examples.push(`${file}:${line}: ${why}`);
      continue;
    }
    out.annotations.push({
      language: row[lang]!.trim().toLowerCase(),
      query: row[query]!.trim(),
      url: row[url]!.trim(),
      relevance,
    });
  }
  return out;
}
