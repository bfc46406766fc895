// The fixed corpora the questions are asked over: three standard libraries that Debian ships as packages,
// so every machine of the same Debian release mines the same functions. A corpus names its Debian package
// (its version goes into the cache key) and where the sources are; the JDK's come zipped, and only a few
// modules of it are unpacked.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { MinedLanguage } from '../../data/miner/languages.js';
import type { RootLayout } from '../../data/miner/walk.js';

export interface QuestionCorpus {
  /** How questions name it, e.g. "python-stdlib". */
  name: string;
  language: MinedLanguage;
  /** The folder mined (for a zip: the folder it is unpacked into, inside the cache). */
  dir: string;
  layout: RootLayout;
  /** .gitignore-style patterns left out, relative to dir. */
  exclude: readonly string[];
  /** The Debian package providing it, when there is one (its version keys the cache). */
  debianPackage?: string;
  /** A zip of sources to unpack first, and the top-level folders of it to take. */
  zip?: { file: string; members: readonly string[] };
}

/** The JDK modules mined: java.base (lang, util, io, nio, net, time, text…), the HTTP client and JDBC. */
export const JDK_MODULES = ['java.base', 'java.net.http', 'java.sql'] as const;

/** The three corpora of Debian 12 (bookworm): its python3.11, golang-1.19-src and openjdk-17-source. */
export function fixedCorpora(cacheDir: string): QuestionCorpus[] {
  return [
    {
      name: 'python-stdlib',
      language: 'python',
      dir: '/usr/lib/python3.11',
      layout: 'modules',
      // Demos, bundled wheels, installed packages, the IDE and the test suite are not the library people use.
      exclude: [
        'turtledemo/',
        'ensurepip/',
        'site-packages/',
        'dist-packages/',
        'config-*/',
        'idlelib/',
        'tkinter/', // Debian ships it apart (python3-tk): present on some machines only
        'test/',
        'lib2to3/',
      ],
      debianPackage: 'libpython3.11-stdlib',
    },
    {
      name: 'go-stdlib',
      language: 'go',
      dir: '/usr/share/go-1.19/src',
      layout: 'modules',
      // The importable library only: cmd/ is the toolchain, internal/ packages cannot be imported, and
      // tests, test fixtures and builtin's documentation stubs are not the library.
      exclude: ['cmd/', 'internal/', 'testdata/', 'builtin/', '*_test.go'],
      debianPackage: 'golang-1.19-src',
    },
    {
      name: 'jdk',
      language: 'java',
      dir: `${cacheDir}/jdk17-src-${JDK_MODULES.join('+')}`,
      layout: 'modules',
      // The public API only: sun.*, com.sun.* and jdk.internal.* are the JDK's implementation.
      exclude: ['sun/', 'jdk/'],
      debianPackage: 'openjdk-17-source',
      zip: { file: '/usr/lib/jvm/java-17-openjdk-amd64/lib/src.zip', members: JDK_MODULES },
    },
  ];
}

/** The installed version of a Debian package, or 'unknown' off Debian (the cache key then says so). */
export function debianVersion(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', `-f=\${Version}`, pkg], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

/** What to install when a corpus's sources are missing, for the error message. */
export function missingSourcesHint(corpus: QuestionCorpus): string | undefined {
  const source = corpus.zip?.file ?? corpus.dir;
  if (existsSync(source)) return undefined;
  const install = corpus.debianPackage
    ? `: apt-get install -y ${corpus.debianPackage} (or bash scripts/setup.sh)`
    : '';
  return `corpus '${corpus.name}': ${source} not found${install}`;
}
