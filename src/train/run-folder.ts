// A new run's folder, created exclusively: two runs started in the same second never share one.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const MAX_SUFFIX = 100;

/**
 * Creates `wanted` (its parents as needed) with a non-recursive mkdir, so that exactly one caller wins it;
 * when it exists, tries `wanted-2`, `wanted-3`… Returns the folder created.
 */
export function createRunFolder(wanted: string): string {
  mkdirSync(dirname(wanted), { recursive: true });
  for (let n = 1; n <= MAX_SUFFIX; n++) {
    const dir = n === 1 ? wanted : `${wanted}-${n}`;
    try {
      mkdirSync(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`${wanted}: it and ${MAX_SUFFIX - 1} suffixed names exist already; choose another --name`);
}
