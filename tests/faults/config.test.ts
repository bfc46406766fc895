// Hostile and out-of-range config input: each is refused before anything runs, naming the file (or the flag),
// the line and the key.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/config.js';

const BASE = 'training:\n  max_steps: 10\n';
const problems = (text: string, sets: string[] = []): string => {
  try {
    parseConfig(text, 'run.yml', sets);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
};

describe('config faults', () => {
  it('refuses prototype keys from --set and from the file, and pollutes nothing', () => {
    expect(problems(BASE, ['__proto__.polluted=1'])).toMatch(
      /command line: --set __proto__\.polluted=1: "__proto__" is not a config key/,
    );
    expect(problems(BASE, ['training.constructor.x=1'])).toMatch(/"constructor" is not a config key/);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(problems(`${BASE}__proto__:\n  polluted: 1\n`)).toMatch(
      /run\.yml:3: "__proto__" is not a config key/,
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses numbers out of any sane range before a run folder is written', () => {
    expect(problems(`seed: 1e300\n${BASE}`)).toMatch(
      /run\.yml:1: seed: 1e\+300 is not allowed: .*<= 4294967295/,
    );
    expect(problems(`model:\n  hidden_size: 1e12\n${BASE}`)).toMatch(
      /run\.yml:2: model\.hidden_size: 1000000000000/,
    );
    expect(problems(`${BASE}  batch_size: 1e9\n`)).toMatch(/training\.batch_size: 1000000000 is not allowed/);
    expect(problems(`${BASE}  warmup_steps: 1e10\n`)).toMatch(/training\.warmup_steps: .*over 2147483647/);
    expect(
      problems(
        `model:\n  hidden_size: 65536\n  num_heads: 1\n  num_layers: 1024\n  intermediate_size: 262144\n${BASE}`,
      ),
    ).toMatch(/model\.hidden_size: .* billion weights \(at most 20 billion\)/);
  });

  it('shows .inf and .nan as YAML writes them, not as null', () => {
    expect(problems(`${BASE}  lr: .inf\n`)).toMatch(/training\.lr: \.inf is not allowed/);
    expect(problems(`${BASE}  lr: .nan\n`)).toMatch(/training\.lr: \.nan is not allowed/);
    expect(problems(BASE, ['training.lr=-.inf'])).toMatch(/training\.lr: -\.inf is not allowed/);
  });

  it('names the file and line of an alias bomb, and the flag of a --set value that is not YAML', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    ].join('\n');
    expect(problems(bomb)).toMatch(/run\.yml:2: YAML: Excessive alias count/);
    expect(problems(BASE, ['training.lr=[1,'])).toMatch(
      /command line: --set training\.lr=\[1,: the value is not valid YAML at character \d+/,
    );
  });

  it('refuses a run name that is a path or only dots', () => {
    for (const name of ['..', '.', '../x']) {
      expect(problems(`name: ${JSON.stringify(name)}\n${BASE}`), name).toMatch(
        /run\.yml:1: name: .* is not allowed/,
      );
    }
  });
});
