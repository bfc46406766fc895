// The commands behave like Unix tools: --version, --help for every command (every option listed), a bad
// option prints the usage and exits 2, machine-readable output on stdout and human text on stderr.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main as secora } from '../src/cli/secora.js';
import { main as secoraTrain } from '../src/cli/train.js';
import { defaultCorpusSources } from '../src/data/miner/default-corpus.js';
import { MINER_VERSION } from '../src/data/miner/mine.js';
import { emptyReport } from '../src/data/miner/report.js';
import { packageRoot } from '../src/native.js';
import { runCommand } from './cli-run.js';

const tmp = mkdtempSync(join(tmpdir(), 'secora-conventions-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

describe('command-line conventions', () => {
  it('prints the version', async () => {
    for (const [main, argv] of [
      [secora, ['--version']],
      [secoraTrain, ['--version']],
    ] as const) {
      const r = await runCommand(main, [...argv]);
      expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('prints help for every command, doctor included, listing every option', async () => {
    const expected: Record<string, string[]> = {
      doctor: ['--json'],
      index: [
        '--model',
        '--out',
        '--factory',
        '--rebuild',
        '--max-file-bytes',
        '--verbose',
        '-v',
        '--progress',
        '--quiet',
        '-q',
        '--json',
      ],
      search: [
        '--index',
        '-k',
        '--mode',
        '--hybrid',
        '--fusion',
        '--lang',
        '--path',
        '--context',
        '--all',
        '--model',
        '--server',
        '--no-server',
        '--json',
      ],
      eval: [
        '--format',
        '--split',
        '--lang',
        '--direction',
        '--chunk',
        '--seed',
        '--keep-last',
        '--small-split',
        '--corpus',
        '--max',
        '--annotations',
        '--out',
        '--json',
      ],
      corpus: [
        '--out',
        '--all-functions',
        '--langs',
        '--max-file-bytes',
        '--layout',
        '--shard-size',
        '--default',
        '--json',
      ],
    };
    for (const [command, flags] of Object.entries(expected)) {
      const r = await runCommand(secora, [command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: secora ${command}`));
      for (const flag of flags)
        expect(r.stdout, `${command} --help lists ${flag}`).toMatch(
          new RegExp(`(^|[\\s,\\[])${flag}\\b`, 'm'),
        );
    }
    // doctor --help does not run the checks.
    expect((await runCommand(secora, ['doctor', '--help'])).stdout).not.toMatch(/native addon\s+ok|FAIL/);
  });

  it('answers an unknown option with the usage and exit 2', async () => {
    for (const command of ['doctor', 'index', 'search', 'eval', 'corpus']) {
      const r = await runCommand(secora, [command, '--no-such-flag']);
      expect(r.code, command).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(`Unknown option '--no-such-flag'[\\s\\S]*usage: secora ${command}`),
      );
      expect(r.stdout).toBe('');
    }
    const train = await runCommand(secoraTrain, ['configs/tiny.yml', '--bogus']);
    expect(train.code).toBe(2);
    expect(train.stderr).toMatch(/Unknown option '--bogus'[\s\S]*usage: secora-train/);
    const none = await runCommand(secora, []);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^usage: secora/);
  });

  it('corpus --default prints only the folder on stdout, and says a cached report is cached', async () => {
    const cache = join(tmp, 'cache');
    const { key } = defaultCorpusSources();
    const dir = join(cache, `default-corpus-${key}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({ ...emptyReport(MINER_VERSION), elapsedMs: 83_000 }),
    );
    const saved = process.env['SECORA_CACHE'];
    process.env['SECORA_CACHE'] = cache;
    try {
      const r = await runCommand(secora, ['corpus', '--default']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${dir}\n`);
      expect(r.stderr).toMatch(/time: cached \(mining it took 83\.0 s\)/);
      const json = await runCommand(secora, ['corpus', '--default', '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({ dir, cached: true });
    } finally {
      if (saved === undefined) delete process.env['SECORA_CACHE'];
      else process.env['SECORA_CACHE'] = saved;
    }
  });

  it('corpus --json gives the report on stdout and the table on stderr', async () => {
    const src = join(tmp, 'src');
    mkdirSync(src, { recursive: true });
    writeFileSync(
      join(src, 'util.py'),
      'def parse_date_text(text):\n    """Parse a date from its ISO text form."""\n    year, month, day = text.split("-")\n    return date(int(year), int(month), int(day))\n',
    );
    const out = join(tmp, 'corpus');
    const r = await runCommand(secora, ['corpus', src, '--out', out, '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.dir).toBe(out);
    expect(summary.report.functions).toEqual({ found: 1, kept: 1 });
    expect(r.stderr).toMatch(/^python\s/m);
  });
});
