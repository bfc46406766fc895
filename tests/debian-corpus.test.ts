// Corpus version 2's plan and manifest: the package list, split units, the split rules (no unit in two splits,
// every language in every split when it has three units or more), the small slice, the zip reader, and a
// corpus mined from a made-up set of installed packages (one of them a standard library in a zip).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataSource } from '../src/data/data-source.js';
import { mineCorpus } from '../src/data/miner/corpus.js';
import { type DebianPackages, debianSourceFiles, packagesManifest } from '../src/data/miner/debian-corpus.js';
import {
  assignSplits,
  isCorpusFile,
  parsePackageList,
  sliceFiles,
  unitOf,
} from '../src/data/miner/debian-plan.js';
import { DEBIAN_PACKAGE_LIST } from '../src/data/miner/default-corpus.js';
import { crc32, openZip, readZipEntry, zipEntries } from '../src/data/miner/zip-reader.js';
import { SPLITS, type Split } from '../src/data/record.js';
import { tempDir } from './data-fixtures.js';

/** A zip written by Python's zipfile (an implementation independent of ours): stored and deflated members. */
function pythonZip(path: string, members: Record<string, string>): void {
  const script =
    'import sys,json,zipfile\n' +
    'm=json.loads(sys.argv[2])\n' +
    'with zipfile.ZipFile(sys.argv[1],"w") as z:\n' +
    '  for i,(k,v) in enumerate(sorted(m.items())):\n' +
    '    z.writestr(k,v,compress_type=zipfile.ZIP_STORED if i%2 else zipfile.ZIP_DEFLATED)\n';
  execFileSync('/usr/bin/python3', ['-c', script, path, JSON.stringify(members)]);
}

const pyFunction = (name: string, i: number) =>
  `def ${name}_${i}(path, count):\n    """Read ${name} number ${i} from the given path."""\n    total = ${i}\n    for line in open(path):\n        total += len(line) * count\n    return total\n`;
const javaClass = (pkg: string, i: number) =>
  `package ${pkg};\npublic class C${i} {\n  /** Computes the ${pkg} value number ${i} for a key. */\n  public int compute${i}(int key) {\n    int x = key * ${i};\n    return x + ${i};\n  }\n}\n`;

describe('the package list', () => {
  it('parses names and unit rules, and names the file and line of a bad one', () => {
    const specs = parsePackageList(
      '# c\ngolang-1.19-src units=/usr/share/go/src:2\n\npython3-django  # x\n',
      'l.txt',
    );
    expect(specs).toEqual([
      { name: 'golang-1.19-src', line: 2, units: { dir: '/usr/share/go/src', depth: 2 } },
      { name: 'python3-django', line: 4 },
    ]);
    expect(() => parsePackageList('ok\nBad_Name\n', 'l.txt')).toThrow(/l\.txt:2: "Bad_Name"/);
    expect(() => parsePackageList('a1\na1\n', 'l.txt')).toThrow(/l\.txt:2: a1 is listed twice/);
    expect(() => parsePackageList('a1 units=rel:1\n', 'l.txt')).toThrow(
      /l\.txt:1: "units=rel:1" is not allowed/,
    );
  });

  it('the shipped list parses, covers the six languages, and scripts/setup.sh installs from it', () => {
    const specs = parsePackageList(readFileSync(DEBIAN_PACKAGE_LIST, 'utf8'), DEBIAN_PACKAGE_LIST);
    const names = specs.map((s) => s.name);
    for (const prefix of ['golang-', 'openjdk-17-source', 'ruby', 'php-', 'node-', 'python3-'])
      expect(
        names.some((n) => n.startsWith(prefix)),
        prefix,
      ).toBe(true);
    expect(specs.filter((s) => s.units).length).toBeGreaterThanOrEqual(4);
    expect(readFileSync(join(DEBIAN_PACKAGE_LIST, '../../scripts/setup.sh'), 'utf8')).toContain(
      'configs/corpus-debian12.txt',
    );
  });
});

describe('the plan', () => {
  it('cuts a standard library into units by its folders, and keeps a library package whole', () => {
    const go = { name: 'golang-src', units: { dir: '/usr/share/go/src', depth: 2 } };
    expect(unitOf(go, '/usr/share/go/src/net/http/server.go')).toBe('golang-src:net/http');
    expect(unitOf(go, '/usr/share/go/src/net/http/internal/x.go')).toBe('golang-src:net/http');
    expect(unitOf(go, '/usr/share/go/src/errors/errors.go')).toBe('golang-src:errors');
    const py = { name: 'stdlib', units: { dir: '/usr/lib/python3.11', depth: 1 } };
    expect(unitOf(py, '/usr/lib/python3.11/os.py')).toBe('stdlib:os');
    expect(unitOf(py, '/usr/lib/python3.11/json/decoder.py')).toBe('stdlib:json');
    const jdk = { name: 'jdk', units: { dir: '/x/src.zip!', depth: 3 } };
    expect(unitOf(jdk, '/x/src.zip!/java.base/java/util/List.java')).toBe('jdk:java.base/java/util');
    expect(unitOf({ name: 'python3-django' }, '/usr/lib/python3/dist-packages/django/db/x.py')).toBe(
      'python3-django',
    );
  });

  it('mines source files only, outside documentation, examples, test data and vendored folders', () => {
    expect(isCorpusFile('/usr/share/go/src/net/http/server.go')).toBe(true);
    expect(isCorpusFile('/x/src.zip!/java.base/java/util/List.java')).toBe(true);
    expect(isCorpusFile('/usr/share/go/src/net/http/testdata/x.go')).toBe(false);
    expect(isCorpusFile('/usr/share/doc/python3-x/examples/a.py')).toBe(false);
    expect(isCorpusFile('/usr/share/nodejs/a/node_modules/b/index.js')).toBe(false);
    expect(isCorpusFile('/usr/share/nodejs/a/README.md')).toBe(false);
    expect(isCorpusFile('/usr/lib/python3/dist-packages/django/db/models.py')).toBe(true);
    expect(isCorpusFile('/usr/lib/python3/dist-packages/pip/_vendor/x/y.py')).toBe(true);
    expect(isCorpusFile('/usr/lib/python3/dist-packages/a/vendor/y.py')).toBe(false);
  });

  it('puts each unit in one split, and every language with 3+ units in all three splits', () => {
    for (let trial = 0; trial < 200; trial++) {
      const units = Array.from({ length: 3 + (trial % 5) }, (_, i) => ({
        name: `t${trial}-u${i}`,
        languages: new Set([i % 4 === 3 ? 'go' : 'python', ...(i === 0 ? ['javascript'] : [])]),
      }));
      const split = assignSplits(units);
      expect(split.size).toBe(units.length);
      for (const language of ['python', 'go']) {
        const own = units.filter((u) => u.languages.has(language));
        if (own.length < 3) continue;
        const covered = new Set(own.map((u) => split.get(u.name)));
        expect([...covered].sort(), `trial ${trial} ${language}`).toEqual(['test', 'train', 'valid']);
      }
    }
  });

  it('the slice keeps at most N files per language and split, with their split', () => {
    const files = Array.from({ length: 60 }, (_, i) => ({
      path: `f${i}.py`,
      language: i % 2 ? 'python' : 'go',
      split: SPLITS[i % 3]!,
    }));
    const slice = sliceFiles(files, 4);
    expect(slice.length).toBe(24);
    for (const f of slice) expect(files).toContain(f);
    expect(sliceFiles(files, 4)).toEqual(slice);
  });
});

describe('the zip reader', () => {
  it("reads a zip written by Python's zipfile, stored and deflated, and checks the CRC-32", async () => {
    const dir = tempDir('secora-zip-');
    const file = join(dir, 'a.zip');
    pythonZip(file, { 'a/B.java': 'class B {}\n'.repeat(50), 'c.txt': 'hello', 'dir/é.py': 'x = 1\n' });
    const zip = await openZip(file);
    expect(zip.entries.map((e) => [e.name, e.method])).toEqual([
      ['a/B.java', 8],
      ['c.txt', 0],
      ['dir/é.py', 8],
    ]);
    expect(zip.read(zip.entries[0]!).toString()).toBe('class B {}\n'.repeat(50));
    expect(zip.read(zip.entries[1]!).toString()).toBe('hello');
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const bytes = readFileSync(file);
    const entries = zipEntries(bytes, file);
    const bad = Buffer.from(bytes);
    const at = entries[1]!.headerOffset + 30 + 'c.txt'.length; // a byte of the stored "hello"
    bad.writeUInt8(bad.readUInt8(at) ^ 1, at);
    expect(() => readZipEntry(bad, entries[1]!, file)).toThrow(/c\.txt: corrupt entry/);
    expect(() => zipEntries(Buffer.from('not a zip at all, not a zip at all'), 'x.zip')).toThrow(
      /x\.zip: not a zip archive/,
    );
  });
});

describe('a corpus from installed packages', () => {
  it('names each package and version in manifest.json; no unit in two splits; every language in every split', async () => {
    const root = tempDir('secora-debian-');
    const write = (path: string, text: string) => {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, text);
    };
    // A Python "standard library" of six modules, three Python library packages, a JDK-like zip of six packages.
    const stdlib = join(root, 'usr/lib/python3.11');
    const stdlibPaths = [
      'os.py',
      'json/decoder.py',
      'csv.py',
      'http/client.py',
      'email/parser.py',
      'abc.py',
    ].map((p, i) => {
      write(join(stdlib, p), pyFunction('stdlib', i));
      return join(stdlib, p);
    });
    write(join(stdlib, 'test/test_os.py'), pyFunction('test', 0)); // a test file: not mined
    const libs = ['python3-alpha', 'python3-beta', 'python3-gamma'].map((name, i) => {
      const path = join(root, `usr/lib/python3/dist-packages/${name}/core.py`);
      write(path, pyFunction(name.replace(/\W/g, '_'), 10 + i));
      return { name, version: `1.${i}-1`, paths: [join(root, 'usr'), path] };
    });
    const zipPath = join(root, 'usr/lib/jvm/src.zip');
    mkdirSync(join(zipPath, '..'), { recursive: true });
    const javaPackages = ['java/util', 'java/io', 'java/net', 'java/time', 'java/sql', 'javax/swing'];
    pythonZip(
      zipPath,
      Object.fromEntries(
        javaPackages.map((p, i) => [`java.base/${p}/C${i}.java`, javaClass(p.replace('/', '.'), i)]),
      ),
    );
    const packages: DebianPackages = {
      listFile: 'test-list.txt',
      missing: [],
      packages: [
        {
          name: 'libpython3.11-stdlib',
          version: '3.11.2-6',
          units: { dir: stdlib, depth: 1 },
          paths: [...stdlibPaths, join(stdlib, 'test/test_os.py')],
        },
        ...libs,
        {
          name: 'openjdk-17-source',
          version: '17.0.21',
          units: { dir: `${zipPath}!`, depth: 3 },
          paths: [zipPath],
        },
      ],
    };
    const { files, units } = await debianSourceFiles(packages);
    expect(files.length).toBe(6 + 1 + 3 + 6);
    const out = join(root, 'corpus');
    const report = await mineCorpus([{ name: 'debian', files }], {
      out,
      manifest: packagesManifest(packages, units),
    });
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.corpus).toBe('debian');
    expect(manifest.packages.map((p: { name: string; version: string }) => `${p.name} ${p.version}`)).toEqual(
      [
        'libpython3.11-stdlib 3.11.2-6',
        'python3-alpha 1.0-1',
        'python3-beta 1.1-1',
        'python3-gamma 1.2-1',
        'openjdk-17-source 17.0.21',
      ],
    );
    expect(manifest.packages[1].split).toMatch(/^(train|valid|test)$/);
    expect(
      report.counts['python']!.train + report.counts['python']!.valid + report.counts['python']!.test,
    ).toBe(9);
    expect(report.skipped.testFile).toBe(1);
    const splitOfRepo = new Map<string, Split>();
    for (const language of ['python', 'java'])
      for (const split of SPLITS) {
        let n = 0;
        for await (const r of openDataSource({
          format: 'codesearchnet',
          path: out,
          languages: [language],
          split,
        }).records()) {
          n++;
          expect(splitOfRepo.get(r.repo) ?? split, r.repo).toBe(split);
          splitOfRepo.set(r.repo, split);
        }
        expect(n, `${language} ${split}`).toBeGreaterThan(0);
      }
    expect(splitOfRepo.get('openjdk-17-source:java.base/java/util')).toBeDefined();
  });
});
