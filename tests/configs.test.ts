import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { packageRoot } from '../src/native.js';

describe('shipped configs', () => {
  const dir = join(packageRoot, 'configs');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yml'))) {
    it(`${file} is valid`, () => {
      const c = loadConfig(join(dir, file));
      expect(c.training.max_steps ?? c.training.epochs).toBeGreaterThan(0);
    });
  }
});
