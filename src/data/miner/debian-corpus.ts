// The default corpus, version 2: the source code of pinned Debian packages (configs/corpus-debian12.txt), read
// from the files dpkg says each package installed (and the members of the JDK's src.zip), never from whatever
// else is on the machine. The package names and versions key the cache and are written to manifest.json.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Split } from '../record.js';
import {
  assignSplits,
  isCorpusFile,
  parsePackageList,
  sliceFiles,
  type UnitRule,
  unitOf,
} from './debian-plan.js';
import { languageOfFile } from './languages.js';
import type { SourceFile } from './walk.js';
import { openZip } from './zip-reader.js';

/** Bump when the plan (units, filters, slice) changes for the same packages: it keys the cache. */
export const DEBIAN_PLAN_VERSION = '1';

/** Files per language and split in the small slice (`data.default_corpus: debian-small`). */
export const SLICE_FILES_PER_SPLIT = 40;

export interface InstalledPackage {
  name: string;
  version: string;
  units?: UnitRule;
  /** Installed paths (files and folders), as dpkg lists them. */
  paths: string[];
}

export interface DebianPackages {
  listFile: string;
  packages: InstalledPackage[];
  /** Listed but not installed. */
  missing: string[];
}

const DPKG_INFO = '/var/lib/dpkg/info';

/** Versions of the listed packages (dpkg-query), and their installed paths (dpkg's own .list files). */
export function installedPackages(listFile: string): DebianPackages {
  const specs = parsePackageList(readFileSync(listFile, 'utf8'), listFile);
  const versions = new Map<string, string>();
  try {
    const out = execFileSync(
      'dpkg-query',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format, not a template
      ['-W', '-f=${Package}\t${Version}\t${db:Status-Status}\n', ...specs.map((s) => s.name)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 16 << 20 },
    );
    for (const line of out.split('\n')) {
      const [name, version, status] = line.split('\t');
      if (name && version && status === 'installed') versions.set(name, version);
    }
  } catch (error) {
    // dpkg-query exits 1 when some package is unknown, still printing the others.
    const out = (error as { stdout?: string }).stdout;
    if (typeof out !== 'string')
      throw new Error(`${listFile}: cannot run dpkg-query: this is not a Debian system`);
    for (const line of out.split('\n')) {
      const [name, version, status] = line.split('\t');
      if (name && version && status === 'installed') versions.set(name, version);
    }
  }
  const infoFiles = existsSync(DPKG_INFO) ? readdirSync(DPKG_INFO) : [];
  const listOf = (name: string) =>
    infoFiles.find((f) => f === `${name}.list`) ??
    infoFiles.find((f) => f.startsWith(`${name}:`) && f.endsWith('.list'));
  const packages: InstalledPackage[] = [];
  const missing: string[] = [];
  for (const spec of specs) {
    const version = versions.get(spec.name);
    const list = listOf(spec.name);
    if (!version || !list) {
      missing.push(spec.name);
      continue;
    }
    const paths = readFileSync(join(DPKG_INFO, list), 'utf8').split('\n').filter(Boolean).sort();
    packages.push({ name: spec.name, version, ...(spec.units ? { units: spec.units } : {}), paths });
  }
  return { listFile, packages, missing };
}

/** The cache key: the list, every package's name and version, the plan's and the miner's versions. */
export function debianCorpusKey(packages: DebianPackages, minerVersion: string, slice: boolean): string {
  const hash = createHash('sha256').update(
    `miner ${minerVersion} plan ${DEBIAN_PLAN_VERSION} slice ${slice}\n`,
  );
  for (const p of packages.packages)
    hash.update(`${p.name} ${p.version} ${p.units ? `${p.units.dir}:${p.units.depth}` : ''}\n`);
  return hash.digest('hex').slice(0, 16);
}

interface PlannedFile extends SourceFile {
  language: string;
  split: Split;
}

/** Every file to mine, in a stable order, with its unit (also its repository) and split. */
export async function debianSourceFiles(
  packages: DebianPackages,
  options: { slice?: boolean } = {},
): Promise<{ files: PlannedFile[]; units: Map<string, Split> }> {
  // A zip's member is "ARCHIVE.zip!/member": the miner reads it from the archive.
  const candidates: { pkg: InstalledPackage; path: string }[] = [];
  for (const pkg of packages.packages) {
    for (const path of pkg.paths) {
      const zipRule = pkg.units?.dir.endsWith('!') ? pkg.units : undefined;
      if (zipRule && path === zipRule.dir.slice(0, -1)) {
        const zip = await openZip(path);
        for (const entry of zip.entries)
          if (!entry.name.endsWith('/') && isCorpusFile(`${path}!/${entry.name}`))
            candidates.push({ pkg, path: `${path}!/${entry.name}` });
        continue;
      }
      if (!isCorpusFile(path)) continue;
      // Regular files only: a symbolic link or a folder named like a source file is not mined.
      try {
        if (!lstatSync(path).isFile()) continue;
      } catch {
        continue;
      }
      candidates.push({ pkg, path });
    }
  }
  // Per unit, its files per language: the split balances each language's files.
  const filesOf = new Map<string, Map<string, number>>();
  const planned = candidates.map((c) => {
    const unit = unitOf(c.pkg, c.path);
    const language = languageOfFile(c.path)!.language;
    const counts = filesOf.get(unit) ?? new Map<string, number>();
    filesOf.set(unit, counts.set(language, (counts.get(language) ?? 0) + 1));
    return { ...c, unit, language };
  });
  const units = assignSplits(
    [...filesOf].map(([name, counts]) => {
      const [language, weight] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
      return { name, languages: new Set(counts.keys()), language, weight };
    }),
  );
  let files: PlannedFile[] = planned.map((c) => ({
    abs: c.path,
    path: c.path.replace(/^\//, ''),
    repo: c.unit,
    unit: c.unit,
    language: c.language,
    split: units.get(c.unit)!,
  }));
  if (options.slice) files = sliceFiles(files, SLICE_FILES_PER_SPLIT);
  return { files, units };
}

/** What manifest.json says of the packages: each name and version, and its units with their splits. */
export function packagesManifest(packages: DebianPackages, units: Map<string, Split>) {
  const splitsOf = (name: string) => {
    const own = [...units].filter(([u]) => u === name || u.startsWith(`${name}:`));
    const count = { train: 0, valid: 0, test: 0 };
    for (const [, s] of own) count[s]++;
    return own.length === 1 ? { split: own[0]![1] } : { units: count };
  };
  return {
    corpus: 'debian',
    packageList: packages.listFile,
    packages: packages.packages.map((p) => ({ name: p.name, version: p.version, ...splitsOf(p.name) })),
  };
}
