// Where secora's own files are (the addon's build folder, the corpus cache, node_modules): a leaf module that
// any layer can import without loading the addon.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of secora's package.json: src/ or dist/ sit one below it, a compiled benchmark deeper. */
function findPackageRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'secora') return dir;
    } catch {
      // no package.json here: go up
    }
  }
  return resolve(from, '..');
}

export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
