import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonPath, explainLoadFailure, loadAddonFrom, NativeLoadError, native } from '../src/native.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'secora-loader-'));

function loadError(path: string): NativeLoadError {
  try {
    loadAddonFrom(path);
  } catch (error) {
    expect(error).toBeInstanceOf(NativeLoadError);
    return error as NativeLoadError;
  }
  throw new Error(`loading ${path} did not fail`);
}

describe('native addon loader', () => {
  it('loads the built addon and sets the thread count', () => {
    const addon = native();
    expect(addon.getNumThreads()).toBeGreaterThanOrEqual(1);
    expect(addon.buildInfo().torchVersion).toMatch(/^\d+\.\d+/);
  });

  it('says the addon is not built, and how to build it, when the file is missing', () => {
    const error = loadError(join(scratch(), 'secora.node'));
    expect(error.reason).toBe('not-built');
    expect(error.message).toContain('not built');
    expect(error.message).toContain('npm run build:native');
  });

  it('says libtorch is missing when the addon cannot find it', () => {
    // A real copy of the addon whose libtorch dependency points at a library that does not exist.
    const dir = scratch();
    const copy = join(dir, 'secora.node');
    copyFileSync(addonPath(), copy);
    const needed = execFileSync('patchelf', ['--print-needed', copy], { encoding: 'utf8' })
      .split('\n')
      .find((lib) => lib.startsWith('libtorch'));
    expect(needed).toBeDefined();
    execFileSync('patchelf', ['--replace-needed', needed!, 'libtorch_gone.so', copy]);
    const error = loadError(copy);
    expect(error.reason).toBe('libtorch-missing');
    expect(error.message).toContain('libtorch_gone.so');
    expect(error.message).toContain('apt-get install -y libtorch-dev');
    expect(error.message).toContain('SECORA_TORCH_DIR');
  });

  it('says the addon does not match and must be rebuilt when the file is not a loadable binary', () => {
    const file = join(scratch(), 'secora.node');
    writeFileSync(file, 'not an ELF file, but long enough to have a header of sixty-four bytes or more.....');
    const error = loadError(file);
    expect(error.reason).toBe('abi-mismatch');
    expect(error.message).toContain('rm -rf build-native && npm run build:native');
  });

  it('names the environment variable the addon refused', () => {
    // The real addon, loaded in a child with a bad SECORA_CPU_CACHE_MB: its own error, then our explanation of it.
    const script = `try { require(${JSON.stringify(addonPath())}); } catch (e) { process.stdout.write(e.message); }`;
    const message = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, SECORA_CPU_CACHE_MB: 'lots' },
      encoding: 'utf8',
    });
    expect(message).toBe("SECORA_CPU_CACHE_MB must be a number of MiB >= 0, got 'lots'");
    const explained = explainLoadFailure('/x/secora.node', new Error(message));
    expect(explained.reason).toBe('bad-setting');
    expect(explained.message).toContain("got 'lots'. Fix or unset SECORA_CPU_CACHE_MB.");
  });

  it('classifies the messages Node and dlopen give', () => {
    const nodeAbi = new Error(
      "The module '/x/secora.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 108. This version of Node.js requires NODE_MODULE_VERSION 115.",
    );
    expect(explainLoadFailure('/x/secora.node', nodeAbi).reason).toBe('abi-mismatch');
    const symbol = new Error('/x/secora.node: undefined symbol: _ZN3c106detail14torchCheckFailEPKcS2_jRKSs');
    expect(explainLoadFailure('/x/secora.node', symbol).reason).toBe('abi-mismatch');
    const other = new Error('libgloo.so.0: cannot open shared object file: No such file or directory');
    const explained = explainLoadFailure('/x/secora.node', other);
    expect(explained.reason).toBe('library-missing');
    expect(explained.message).toContain('libgloo.so.0');
    expect(explained.message).toContain('bash scripts/setup.sh');
  });
});
