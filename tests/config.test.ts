import { describe, expect, expectTypeOf, it } from 'vitest';
import { CONFIG_SCHEMA, ConfigError, parseConfig, type TrainConfig } from '../src/config/config.js';

function problems(text: string, sets: string[] = []): string[] {
  try {
    parseConfig(text, 'cfg.yml', sets);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('the config was accepted');
}

describe('training config', () => {
  it('fills defaults and keeps given values', () => {
    const c = parseConfig('training:\n  max_steps: 100\n  lr: 0.001\nmodel:\n  pooling: mean\n', 'cfg.yml');
    expect(c.training.lr).toBe(0.001);
    expect(c.training.max_steps).toBe(100);
    expect(c.model.pooling).toBe('mean');
    expect(c.training.temperature).toBe(0.05);
    expect(c.data.source).toBe('default');
    expect(c.checkpoint.keep).toBe(3);
  });

  it('names the file, line, key, value and what is allowed', () => {
    const p = problems('training:\n  max_steps: 10\n  lr: -1\n  schedule: cosinus\n');
    expect(p).toContain('cfg.yml:3: training.lr: -1 is not allowed: expected a number > 0 <= 1');
    expect(p).toContain(
      'cfg.yml:4: training.schedule: "cosinus" is not allowed: expected one of constant, linear, cosine',
    );
  });

  it('rejects unknown keys with a suggestion', () => {
    const p = problems('training:\n  max_steps: 10\n  temprature: 0.1\nmodle: {}\n');
    expect(p[0]).toMatch(
      /^cfg\.yml:3: training\.temprature: unknown key \(did you mean training\.temperature\?\)/,
    );
    expect(p[1]).toMatch(/^cfg\.yml:4: modle: unknown key \(did you mean model\?\)/);
  });

  it('checks keys against each other', () => {
    expect(problems('training:\n  max_steps: 10\nmodel:\n  hidden_size: 100\n  num_heads: 3\n')[0]).toMatch(
      /model\.num_heads: 3 does not divide model\.hidden_size 100/,
    );
    expect(problems('model:\n  hidden_size: 64\n')[0]).toMatch(/set training\.max_steps or training\.epochs/);
    expect(problems('training:\n  max_steps: 10\n  precision: fp16\n')[0]).toMatch(
      /fp16 needs a CUDA device/,
    );
    expect(problems('training:\n  max_steps: 10\ndata:\n  source: codesearchnet\n')[0]).toMatch(
      /data\.path: is required when data\.source is codesearchnet/,
    );
    expect(problems('training:\n  max_steps: 10\ndevice: gpu\n')[0]).toMatch(/device: "gpu" is not allowed/);
  });

  it('applies --set overrides and names them in errors', () => {
    const c = parseConfig('training:\n  max_steps: 10\n', 'cfg.yml', [
      'training.lr=0.002',
      'data.languages=[python, go]',
    ]);
    expect(c.training.lr).toBe(0.002);
    expect(c.data.languages).toEqual(['python', 'go']);
    expect(problems('training:\n  max_steps: 10\n', ['training.batch_size=1'])[0]).toMatch(
      /training\.batch_size: 1 is not allowed/,
    );
    expect(problems('training:\n  max_steps: 10\n', ['nonsense'])[0]).toMatch(
      /command line: --set nonsense: expected key=value/,
    );
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems('training:\n  max_steps: 10\n  lr: [1,\n')[0]).toMatch(/^cfg\.yml:\d+: YAML syntax/);
  });
});

describe('the config type derived from the schema', () => {
  it('gives each key the type its spec validates to', () => {
    // Compile-time checks (npm run typecheck fails if the derivation drifts), plus a value check at run time.
    expectTypeOf<TrainConfig['name']>().toEqualTypeOf<string | null>();
    expectTypeOf<TrainConfig['training']['lr']>().toEqualTypeOf<number>();
    expectTypeOf<TrainConfig['training']['max_steps']>().toEqualTypeOf<number | null>();
    expectTypeOf<TrainConfig['training']['precision']>().toEqualTypeOf<'fp32' | 'bf16' | 'fp16'>();
    expectTypeOf<TrainConfig['model']['pooling']>().toEqualTypeOf<'cls' | 'mean' | 'cls_projection'>();
    expectTypeOf<TrainConfig['data']['languages']>().toEqualTypeOf<string[]>();
    expectTypeOf<TrainConfig['evaluation']['test']>().toEqualTypeOf<boolean>();
    const c: TrainConfig = parseConfig('training:\n  max_steps: 3\n', 'cfg.yml');
    expect(Object.keys(c).sort()).toEqual(Object.keys(CONFIG_SCHEMA).sort());
  });
});
