// The npm install step (scripts/install.mjs) stops with the apt packages to install when a library is missing,
// before building anything. (The whole install from `npm pack` is scripts/pack-test.sh, run by CI.)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/native.js';

const script = join(packageRoot, 'scripts', 'install.mjs');

describe('the install step', () => {
  it('names the apt packages when libtorch is missing, and builds nothing', () => {
    const r = spawnSync(process.execPath, [script], {
      env: { ...process.env, SECORA_TORCH_DIR: '/nonexistent/libtorch' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'cannot build the native addon: missing SECORA_TORCH_DIR=/nonexistent/libtorch (no such folder)',
    );
    expect(r.stderr).toMatch(/sudo apt-get update && sudo apt-get install -y libtorch-dev\n/);
    expect(r.stderr).toContain('then: npm rebuild secora');
  });

  it('names every missing tool, and can be skipped', () => {
    // No cmake and no compiler on this PATH (node itself is called by its full path).
    const r = spawnSync(process.execPath, [script], {
      env: { ...process.env, PATH: '/nonexistent' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing cmake, a C\+\+ compiler/);
    expect(r.stderr).toMatch(/apt-get install -y cmake build-essential/);
    const skipped = spawnSync(process.execPath, [script], {
      env: { ...process.env, SECORA_SKIP_INSTALL: '1' },
      encoding: 'utf8',
    });
    expect(skipped.status).toBe(0);
    expect(skipped.stderr).toMatch(/SECORA_SKIP_INSTALL is set/);
  });
});
