// `secora hparam show`: a study's trials, best first, as a table or JSON.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SearchSpec } from './search-file.js';
import { Study, type Trial } from './study.js';

/** The study file from a path that is the file or its folder. */
export function studyFileOf(path: string): string {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'study.sqlite') : path;
  if (!existsSync(file)) throw new Error(`${path}: no study here (expected a study.sqlite, or its folder)`);
  return file;
}

const ORDER: Record<Trial['state'], number> = {
  completed: 0,
  pruned: 1,
  running: 2,
  queued: 3,
  failed: 4,
  requeued: 5,
};

/** Completed trials by score, then pruned by score, then the rest by number. */
export function sortBestFirst(spec: SearchSpec, trials: readonly Trial[]): Trial[] {
  const sign = spec.metric.direction === 'maximize' ? -1 : 1;
  return [...trials].sort((a, b) => {
    if (a.state !== b.state) return ORDER[a.state] - ORDER[b.state];
    const av = a.value ?? Number.NaN;
    const bv = b.value ?? Number.NaN;
    if (Number.isFinite(av) && Number.isFinite(bv) && av !== bv) return sign * (av - bv);
    return a.number - b.number;
  });
}

export function loadStudy(path: string): { spec: SearchSpec; trials: Trial[]; file: string } {
  const file = studyFileOf(path);
  const study = Study.open(file);
  try {
    const def = study.definition();
    if (!def) throw new Error(`${file}: the study has no definition yet`);
    return { spec: def.spec, trials: sortBestFirst(def.spec, study.trials()), file };
  } finally {
    study.close();
  }
}

const fmt = (v: unknown) =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : Number(v.toPrecision(4)).toString()) : String(v);

export function formatTable(spec: SearchSpec, trials: readonly Trial[]): string {
  const keys = spec.space.map((p) => p.key);
  const head = ['trial', 'state', spec.metric.key, 'step', ...keys, 'note'];
  const rows = trials.map((t) => [
    String(t.number),
    t.state,
    t.value === null ? '-' : t.value.toFixed(4),
    t.step === null ? '-' : String(t.step),
    ...keys.map((k) => (k in t.params ? fmt(t.params[k]) : '-')),
    [
      t.reason && t.state !== 'completed' ? t.reason : '',
      t.retryOf ? `repeats #${t.retryOf}` : '',
      t.state === 'failed' && t.error ? t.error.split('\n')[0]! : '',
    ]
      .filter(Boolean)
      .join('; '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
