import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { loadSearch } from '../src/hparam/search-file.js';
import { packageRoot } from '../src/native.js';

describe('shipped configs', () => {
  const dir = join(packageRoot, 'configs');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yml'))) {
    it(`${file} is valid`, () => {
      if (file.startsWith('search-')) {
        // A search file: its base with its fixed overrides must be a valid config too.
        const search = loadSearch(join(dir, file));
        expect(loadConfig(search.base, search.set).training.max_steps).toBeGreaterThan(0);
        return;
      }
      const c = loadConfig(join(dir, file));
      expect(c.training.max_steps ?? c.training.epochs).toBeGreaterThan(0);
    });
  }
});
