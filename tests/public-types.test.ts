// The public API's declarations typecheck in a consumer's strict project with skipLibCheck false: secora's
// .d.ts files are emitted into a package folder and a small consumer program is compiled against them.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/native.js';

// Outside the package (inside it, 'secora' would resolve to the package itself); the emitted package's
// node_modules is secora's own, so its declarations find the dependencies' types as when installed.
const project = mkdtempSync(join(tmpdir(), 'secora-types-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));
const tsc = join(packageRoot, 'node_modules', '.bin', 'tsc');

const consumer = `import {
  CodeIndex, defaultEncoderConfig, Encoder, evaluateModel, HashingEmbedder, indexRepository, loadConfig,
  pairsByLanguage, train, type ModelEval, type SearchHit, type Snippet, type TrainConfig,
} from 'secora';

const snippets: Snippet[] = [
  { path: 'a.py', startLine: 1, endLine: 2, name: 'f', language: 'python', code: 'def f():\\n    pass' },
];
export async function demo(): Promise<SearchHit[]> {
  const index = await CodeIndex.build(new HashingEmbedder(64), snippets);
  const encoder: Encoder = await Encoder.create(defaultEncoderConfig({ vocabSize: 100 }));
  const config: TrainConfig = loadConfig('configs/tiny.yml');
  const report: ModelEval = await evaluateModel(encoder, pairsByLanguage([]), { seed: config.seed });
  await indexRepository('.', encoder, { out: 'x.sidx' });
  void train; void report;
  return index.search('read a file', { k: 3, mode: 'hybrid', path: 'src/**' });
}
`;

describe('public types', () => {
  it('compile in a strict consumer project with skipLibCheck false', () => {
    const pkg = join(project, 'secora');
    mkdirSync(pkg, { recursive: true });
    cpSync(join(packageRoot, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(packageRoot, 'node_modules'), join(pkg, 'node_modules'));
    mkdirSync(join(project, 'consumer', 'node_modules'), { recursive: true });
    symlinkSync(pkg, join(project, 'consumer', 'node_modules', 'secora'));
    execFileSync(tsc, [
      '-p',
      join(packageRoot, 'tsconfig.build.json'),
      '--emitDeclarationOnly',
      '--sourceMap',
      'false',
      '--outDir',
      join(pkg, 'dist'),
    ]);
    writeFileSync(join(project, 'consumer', 'consumer.ts'), consumer);
    writeFileSync(
      join(project, 'consumer', 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          types: ['node'],
          typeRoots: [join(packageRoot, 'node_modules', '@types')],
        },
        files: ['consumer.ts'],
      }),
    );
    let output = '';
    try {
      output = execFileSync(tsc, ['-p', join(project, 'consumer'), '--listFiles'], { encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout);
      expect.fail(
        `the consumer does not compile:\n${output
          .split('\n')
          .filter((l) => l.includes('error'))
          .join('\n')}`,
      );
    }
    // The declarations of tokenizers and web-tree-sitter (which fail skipLibCheck false) are never reached.
    expect(output).toContain(join(pkg, 'dist', 'index.d.ts'));
    expect(output).not.toMatch(/node_modules\/(tokenizers|web-tree-sitter)\//);
  }, 180_000);
});
