// Walks a source tree in a stable order (names sorted by code unit), honouring .gitignore files at every
// level and skipping vendored and hidden folders and symbolic links. Yields the files with the repository
// they belong to and the unit the train/valid/test split is drawn by.
import { type Dirent, existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { isVendoredDir, isVirtualEnv } from './file-rules.js';

/**
 * How a root is cut into repositories:
 * - repo: the root is one repository (named by its folder), which is also the split unit;
 * - packages: each folder inside (and each @scope/name) is a repository, as in node_modules;
 * - modules: one big tree (such as a standard library) split by its top-level module or package.
 */
export type RootLayout = 'repo' | 'packages' | 'modules';

export interface MineRoot {
  dir: string;
  /** Repository name; the folder's name by default (ignored by the packages layout). */
  name?: string;
  /** Default: packages for a folder named node_modules, else repo. */
  layout?: RootLayout;
  /** Extra .gitignore-style patterns, relative to each repository's folder. */
  exclude?: readonly string[];
}

export interface SourceFile {
  /** Absolute path. */
  abs: string;
  /** Path inside its repository, with / separators. */
  path: string;
  repo: string;
  /** What the split is drawn by: the repository, or for the modules layout its top-level module. */
  unit: string;
}

export type WalkSkip = 'gitignored' | 'excluded' | 'vendored' | 'unreadable';
export type OnWalkSkip = (reason: WalkSkip, path: string) => void;

interface IgnoreLayer {
  /** Path of the layer's folder inside the repository ('' for its root). */
  base: string;
  rules: Ignore;
  /** What a match is counted as: a .gitignore rule, or one of the root's exclude patterns. */
  reason: 'gitignored' | 'excluded';
}

export function normalizeRoot(root: string | MineRoot): Required<Omit<MineRoot, 'name'>> & { name: string } {
  const spec = typeof root === 'string' ? { dir: root } : root;
  const dir = resolve(spec.dir);
  return {
    dir,
    name: spec.name ?? basename(dir),
    layout: spec.layout ?? (basename(dir) === 'node_modules' ? 'packages' : 'repo'),
    exclude: spec.exclude ?? [],
  };
}

const byCodeUnit = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The entries of a folder, sorted; a folder that cannot be listed is skipped and counted, not fatal. */
async function listDir(dir: string, onSkip: OnWalkSkip): Promise<Dirent[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).sort(byCodeUnit);
  } catch {
    onSkip('unreadable', dir);
    return [];
  }
}

function ignoredBy(layers: readonly IgnoreLayer[], path: string, isDir: boolean): WalkSkip | undefined {
  for (const layer of layers) {
    const inner = layer.base ? path.slice(layer.base.length + 1) : path;
    if (layer.rules.ignores(isDir ? `${inner}/` : inner)) return layer.reason;
  }
  return undefined;
}

function gitignoreLayer(dir: string, base: string): IgnoreLayer | undefined {
  const file = join(dir, '.gitignore');
  if (!existsSync(file)) return undefined;
  return { base, rules: ignore().add(readFileSync(file, 'utf8')), reason: 'gitignored' };
}

/** The files of one repository folder, recursively, with paths relative to it. */
async function* walkRepo(
  dir: string,
  path: string,
  layers: IgnoreLayer[],
  onSkip: OnWalkSkip,
): AsyncGenerator<{ abs: string; path: string }> {
  const own = gitignoreLayer(dir, path);
  const active = own ? [...layers, own] : layers;
  for (const entry of await listDir(dir, onSkip)) {
    const childPath = path ? `${path}/${entry.name}` : entry.name;
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) {
      const ignored =
        isVendoredDir(entry.name) || isVirtualEnv(abs) ? 'vendored' : ignoredBy(active, childPath, true);
      if (ignored) onSkip(ignored, abs);
      else yield* walkRepo(abs, childPath, active, onSkip);
    } else if (entry.isFile()) {
      const ignored = ignoredBy(active, childPath, false);
      if (ignored) onSkip(ignored, abs);
      else yield { abs, path: childPath };
    }
  }
}

function topLevelUnit(repo: string, path: string): string {
  const top = path.split('/')[0] ?? path;
  return `${repo}/${top.replace(/\.[^.]*$/, '')}`;
}

/** The package folders of a node_modules-like root: every folder, and the folders inside @scope folders. */
async function packagesOf(dir: string, onSkip: OnWalkSkip): Promise<{ name: string; dir: string }[]> {
  const packages: { name: string; dir: string }[] = [];
  for (const entry of await listDir(dir, onSkip)) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (entry.name.startsWith('@')) {
      for (const inner of await listDir(join(dir, entry.name), onSkip))
        if (inner.isDirectory())
          packages.push({ name: `${entry.name}/${inner.name}`, dir: join(dir, entry.name, inner.name) });
    } else packages.push({ name: entry.name, dir: join(dir, entry.name) });
  }
  return packages;
}

/** Every candidate source file under a root, in a stable order, with its repository and split unit. */
export async function* walkRoot(root: string | MineRoot, onSkip: OnWalkSkip): AsyncGenerator<SourceFile> {
  const spec = normalizeRoot(root);
  const excludeLayer = (): IgnoreLayer[] =>
    spec.exclude.length ? [{ base: '', rules: ignore().add([...spec.exclude]), reason: 'excluded' }] : [];
  if (spec.layout === 'packages') {
    for (const pkg of await packagesOf(spec.dir, onSkip))
      for await (const file of walkRepo(pkg.dir, '', excludeLayer(), onSkip))
        yield { ...file, repo: pkg.name, unit: pkg.name };
    return;
  }
  for await (const file of walkRepo(spec.dir, '', excludeLayer(), onSkip)) {
    const unit = spec.layout === 'modules' ? topLevelUnit(spec.name, file.path) : spec.name;
    yield { ...file, repo: spec.name, unit };
  }
}
