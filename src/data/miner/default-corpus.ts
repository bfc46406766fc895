// The embedded default corpus: with nothing downloaded, (docstring, function) pairs mined once into a cache
// folder and reused after. Version 2 (kind 'debian', the default) is mined from pinned Debian packages
// (debian-corpus.ts); 'debian-small' is a fixed slice of it for quick runs; 'local' is version 1, the code that
// happens to be on the machine (the python3's standard library and packages, the project's node_modules).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../../package-root.js';
import { mineCorpus } from './corpus.js';
import { debianCorpusKey, debianSourceFiles, installedPackages, packagesManifest } from './debian-corpus.js';
import { MINER_VERSION } from './mine.js';
import type { MineReport } from './report.js';
import type { MineRoot } from './walk.js';

export type DefaultCorpusKind = 'debian' | 'debian-small' | 'local';
export const DEFAULT_CORPUS_KINDS: readonly DefaultCorpusKind[] = ['debian', 'debian-small', 'local'];

/** The Debian packages of corpus version 2. */
export const DEBIAN_PACKAGE_LIST = join(packageRoot, 'configs', 'corpus-debian12.txt');

export interface DefaultCorpusOptions {
  /** Which corpus (default 'debian'). */
  kind?: DefaultCorpusKind;
  /** The Debian package list (default configs/corpus-debian12.txt). */
  packageList?: string;
  /** Folder the corpus is cached in: $SECORA_CACHE, else <package>/.cache/secora. */
  cacheDir?: string;
  /** The python3 whose standard library is mined (default python3 on PATH). */
  python?: string;
  /** Also mine the python3's installed packages (site-packages / dist-packages); default true. */
  sitePackages?: boolean;
  /** The node_modules folder mined (default the package's own). */
  nodeModules?: string;
  /** Progress lines (building only). */
  log?: (line: string) => void;
}

export interface DefaultCorpus {
  /** The corpus folder, in CodeSearchNet's layout. */
  dir: string;
  report: MineReport;
  /** true when this call mined it, false when the cache had it. */
  built: boolean;
}

/** Parts of the standard library left out: demos and bundled wheels (tests go by the miner's own rules). */
const STDLIB_EXCLUDE = ['turtledemo/', 'ensurepip/', 'site-packages/', 'config-*/'];
/** Metadata folders and pip's own vendored copies of other packages. */
const SITE_PACKAGES_EXCLUDE = [
  '*.dist-info/',
  '*.egg-info/',
  '_vendor/',
  'pip/',
  'setuptools/',
  'pkg_resources/',
];

function pythonStdlib(python: string): { dir: string; version: string; purelib?: string } | undefined {
  try {
    const out = execFileSync(
      python,
      [
        '-c',
        'import sys,sysconfig;p=sysconfig.get_paths();print(p["stdlib"]);print(sys.version.split()[0]);print(p["purelib"])',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const [dir, version, purelib] = out.trim().split('\n');
    return dir && version && existsSync(dir)
      ? { dir, version, ...(purelib && existsSync(purelib) ? { purelib } : {}) }
      : undefined;
  } catch {
    return undefined; // no python3 here: the corpus is the JavaScript alone
  }
}

/** The roots of the default corpus, and a key that changes when any of them (or the miner) does. */
export function defaultCorpusSources(options: DefaultCorpusOptions = {}): { roots: MineRoot[]; key: string } {
  const roots: MineRoot[] = [];
  const hash = createHash('sha256').update(`miner ${MINER_VERSION}\n`);
  const stdlib = pythonStdlib(options.python ?? 'python3');
  if (stdlib) {
    roots.push({
      dir: stdlib.dir,
      name: `python${stdlib.version}-stdlib`,
      layout: 'modules',
      exclude: STDLIB_EXCLUDE,
    });
    hash.update(`python ${stdlib.version} ${stdlib.dir} ${STDLIB_EXCLUDE.join(' ')}\n`);
    if (stdlib.purelib && options.sitePackages !== false) {
      // The installed Python packages: each top-level folder is one package (and one split unit).
      roots.push({ dir: stdlib.purelib, layout: 'packages', exclude: SITE_PACKAGES_EXCLUDE });
      // What is installed, with versions: the names of the *.dist-info / *.egg-info folders.
      const installed = readdirSync(stdlib.purelib)
        .filter((n) => /\.(dist|egg)-info$/.test(n))
        .sort();
      hash.update(
        `site-packages ${stdlib.purelib} ${SITE_PACKAGES_EXCLUDE.join(' ')}\n${installed.join('\n')}\n`,
      );
    }
  }
  const nodeModules = options.nodeModules ?? join(packageRoot, 'node_modules');
  if (existsSync(nodeModules)) {
    roots.push({ dir: nodeModules, layout: 'packages' });
    // npm's record of what is installed: names, versions and integrity hashes.
    const lock = join(nodeModules, '.package-lock.json');
    hash.update(`node_modules ${nodeModules}\n`).update(existsSync(lock) ? readFileSync(lock) : '');
  }
  return { roots, key: hash.digest('hex').slice(0, 16) };
}

/**
 * The default corpus: mined on first use into <cache>/default-corpus-<key> (through a temporary folder
 * renamed when complete, so a half-built corpus is never used), then reused.
 */
export async function defaultCorpus(options: DefaultCorpusOptions = {}): Promise<DefaultCorpus> {
  const cache = options.cacheDir ?? process.env['SECORA_CACHE'] ?? join(packageRoot, '.cache', 'secora');
  const kind = options.kind ?? 'debian';
  if (kind !== 'local') return debianCorpus(cache, kind === 'debian-small', options);
  const { roots, key } = defaultCorpusSources(options);
  if (roots.length === 0)
    throw new Error(
      'no source code to mine a default corpus from: neither python3 nor node_modules was found',
    );
  options.log?.(`mining the local corpus (version 1) into ${cache} (once)`);
  return buildCached(join(cache, `default-corpus-${key}`), (out) => mineCorpus(roots, { out }));
}

/** Corpus version 2 from the Debian packages, or its small slice. */
async function debianCorpus(
  cache: string,
  slice: boolean,
  options: DefaultCorpusOptions,
): Promise<DefaultCorpus> {
  const list = options.packageList ?? DEBIAN_PACKAGE_LIST;
  const packages = installedPackages(list);
  if (packages.missing.length > 0)
    throw new Error(
      `the default corpus is mined from the Debian packages listed in ${list}, and ${packages.missing.length} ` +
        `of them are not installed: ${packages.missing.slice(0, 8).join(', ')}${packages.missing.length > 8 ? ', …' : ''}. ` +
        'Install them with `bash scripts/setup.sh` (as root, on Debian 12), or set data.default_corpus: local ' +
        "to mine this machine's python3 and node_modules instead",
    );
  const key = debianCorpusKey(packages, MINER_VERSION, slice);
  const dir = join(cache, `default-corpus-${slice ? 'debian-small' : 'debian'}-${key}`);
  return buildCached(dir, async (out) => {
    const { files, units } = await debianSourceFiles(packages, { slice });
    options.log?.(
      `mining the default corpus${slice ? ' (its small slice)' : ''} once, from ${packages.packages.length} Debian ` +
        `packages (${files.length} files; ${slice ? 'seconds' : 'several minutes on 2 cores'}) into ${dir}`,
    );
    return mineCorpus([{ name: 'debian', files }], { out, manifest: packagesManifest(packages, units) });
  });
}

/** Builds a corpus into dir through a temporary folder renamed when complete, unless it is already there. */
async function buildCached(dir: string, build: (out: string) => Promise<MineReport>): Promise<DefaultCorpus> {
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest))
    return { dir, report: JSON.parse(await readFile(manifest, 'utf8')), built: false };
  await mkdir(join(dir, '..'), { recursive: true });
  const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
  try {
    const report = await build(partial);
    try {
      await rename(partial, dir);
    } catch (error) {
      // Another process finished first: use its corpus.
      if (!existsSync(manifest)) throw error;
      await rm(partial, { recursive: true, force: true });
      return { dir, report: JSON.parse(await readFile(manifest, 'utf8')), built: false };
    }
    return { dir, report, built: true };
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}
