// The plan of the Debian corpus, as pure functions: the package list's lines, each installed file's split unit
// (a library package is one unit; a standard library is cut by its own folders), the train/valid/test split
// of every unit (balanced by size) with each language in every split where it has three units or more, and the small fixed slice
// that quick runs mine instead of the whole corpus.
import { SPLITS, type Split } from '../record.js';
import { isVendoredDir } from './file-rules.js';
import { languageOfFile } from './languages.js';
import { DEFAULT_RATIOS, type SplitRatios, unitHash } from './split.js';

/** A standard library's files are cut into units by the first `depth` folders under `dir` (a zip: "ZIP!"). */
export interface UnitRule {
  dir: string;
  depth: number;
}

export interface PackageSpec {
  name: string;
  units?: UnitRule;
  /** Line in the list file, for errors. */
  line: number;
}

/** Parses the package list: `name [units=DIR:DEPTH]` a line, `#` comments; errors name file:line. */
export function parsePackageList(text: string, file: string): PackageSpec[] {
  const specs: PackageSpec[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const words = raw.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return;
    const [name, ...rest] = words as [string, ...string[]];
    if (!/^[a-z0-9][a-z0-9.+-]+$/.test(name))
      throw new Error(`${file}:${line}: ${JSON.stringify(name)} is not a Debian package name`);
    if (seen.has(name)) throw new Error(`${file}:${line}: ${name} is listed twice`);
    seen.add(name);
    const spec: PackageSpec = { name, line };
    for (const word of rest) {
      const m = /^units=(\/.+):(\d+)$/.exec(word);
      if (!m || Number(m[2]) < 1)
        throw new Error(
          `${file}:${line}: ${JSON.stringify(word)} is not allowed: expected units=/ABSOLUTE/DIR:DEPTH (DEPTH >= 1)`,
        );
      spec.units = { dir: m[1]!.replace(/\/$/, ''), depth: Number(m[2]) };
    }
    specs.push(spec);
  });
  return specs;
}

/** Folders whose files are not a library's code: documentation, examples and test data. */
const NOT_LIBRARY = /(^|\/)(usr\/share\/doc|examples?|testdata|benchmarks?|demos?|fixtures)\//;

/**
 * Whether an installed file (an absolute path, or "ZIP!member") is mined: a source file of a mined language,
 * outside documentation, examples, test data and vendored folders (the miner's test rules come later).
 */
export function isCorpusFile(path: string): boolean {
  if (!languageOfFile(path)) return false;
  // Inside a zip, or inside Python's install folder (itself named like a vendored one): the package's own tree.
  const inner = path
    .replace(/^.*!\//, '')
    .replace(/^\//, '')
    .replace(/^(.*\/)?usr\/lib\/python3[^/]*\/(dist|site)-packages\//, '');
  if (NOT_LIBRARY.test(path.replace(/^\//, ''))) return false;
  return !inner
    .split('/')
    .slice(0, -1)
    .some((part) => isVendoredDir(part));
}

/** The split unit of a file of a package: the package, or for a standard library its first folders. */
export function unitOf(pkg: Pick<PackageSpec, 'name' | 'units'>, path: string): string {
  const rule = pkg.units;
  if (!rule || !path.startsWith(`${rule.dir}/`)) return pkg.name;
  const parts = path.slice(rule.dir.length + 1).split('/');
  const folders = parts.slice(0, -1).slice(0, rule.depth);
  // A module file at the top (os.py, net.rb) is its own unit, named without its extension.
  const name = folders.length > 0 ? folders.join('/') : parts[parts.length - 1]!.replace(/\.[^.]*$/, '');
  return `${pkg.name}:${name}`;
}

export interface UnitInfo {
  name: string;
  /** Languages with at least one file in the unit. */
  languages: ReadonlySet<string>;
  /** Files of the unit's main language (default 1): the split balances these. */
  weight?: number;
  /** The language most of its files are in (default: the first of languages). */
  language?: string;
}

/**
 * The split of every unit. Units go, largest first (ties by hash of the name, stable across machines), to
 * the split furthest below its share of their main language's files, so that one big unit (the Go
 * compiler, the JDK's java.util) does not skew a language's splits. Then, for each language with three units
 * or more, a split it lacks gets the language's smallest train unit, as long as the move empties no split of
 * another language. A unit is in exactly one split.
 */
export function assignSplits(
  units: readonly UnitInfo[],
  ratios: SplitRatios = DEFAULT_RATIOS,
): Map<string, Split> {
  const split = new Map<string, Split>();
  const share: Record<Split, number> = {
    train: ratios.train,
    valid: ratios.valid,
    test: 1 - ratios.train - ratios.valid,
  };
  const main = (u: UnitInfo) => u.language ?? [...u.languages][0] ?? '';
  const weight = (u: UnitInfo) => u.weight ?? 1;
  const total = new Map<string, number>();
  for (const u of units) total.set(main(u), (total.get(main(u)) ?? 0) + weight(u));
  const filled = new Map<string, Record<Split, number>>();
  const order = [...units].sort(
    (a, b) => weight(b) - weight(a) || unitHash(a.name) - unitHash(b.name) || (a.name < b.name ? -1 : 1),
  );
  for (const u of order) {
    const f = filled.get(main(u)) ?? { train: 0, valid: 0, test: 0 };
    filled.set(main(u), f);
    const all = total.get(main(u))!;
    const best = SPLITS.reduce((x, y) => (share[y] * all - f[y] > share[x] * all - f[x] ? y : x));
    f[best] += weight(u);
    split.set(u.name, best);
  }
  const languages = [...new Set(units.flatMap((u) => [...u.languages]))].sort();
  const unitsOf = (language: string) => units.filter((u) => u.languages.has(language));
  const countIn = (language: string, s: Split) =>
    unitsOf(language).filter((u) => split.get(u.name) === s).length;
  for (const language of languages) {
    const own = unitsOf(language);
    if (own.length < 3) continue;
    for (const s of ['valid', 'test', 'train'] as const) {
      if (countIn(language, s) > 0) continue;
      const movable = own
        .filter((u) => {
          const from = split.get(u.name)!;
          if (from === s || countIn(language, from) < 2) return false;
          // Moving it must not leave another language without any unit in `from`.
          return [...u.languages].every((l) => l === language || countIn(l, from) >= 2);
        })
        .sort((a, b) => weight(a) - weight(b) || unitHash(a.name) - unitHash(b.name));
      if (movable[0]) split.set(movable[0].name, s);
    }
  }
  return split;
}

/**
 * A small fixed slice for quick runs: per language and split, the `perSplit` files whose path hashes lowest.
 * The files keep the whole corpus's split, so a model trained on a slice is never tested on its training code.
 */
export function sliceFiles<T extends { path: string; language: string; split: Split }>(
  files: readonly T[],
  perSplit: number,
): T[] {
  const groups = new Map<string, { file: T; hash: number }[]>();
  for (const file of files) {
    const key = `${file.language}\0${file.split}`;
    const group = groups.get(key) ?? [];
    group.push({ file, hash: unitHash(file.path) });
    groups.set(key, group);
  }
  const keep = new Set<T>();
  for (const group of groups.values())
    for (const { file } of group.sort((a, b) => a.hash - b.hash).slice(0, perSplit)) keep.add(file);
  return files.filter((f) => keep.has(f));
}
