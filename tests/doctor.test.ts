import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFaiss, checkTokenizers, formatDoctor, runDoctor } from '../src/doctor.js';
import { packageRoot } from '../src/native.js';

describe('secora doctor', () => {
  it('reports libtorch, the accelerator, threads, bf16, faiss and tokenizers', async () => {
    const report = await runDoctor();
    const byName = new Map(report.checks.map((c) => [c.name, c]));
    expect(report.ok).toBe(true);
    expect(byName.get('libtorch')?.detail).toMatch(/^\d+\.\d+\.\d+/);
    expect(byName.get('cpu threads')?.detail).toMatch(/^\d+ intra-op/);
    expect(byName.get('faiss-node')?.ok).toBe(true);
    expect(byName.get('tokenizers')?.ok).toBe(true);
    expect(report.build?.threads).toBeGreaterThanOrEqual(1);
    if (report.build?.backend === 'cpu') expect(byName.get('accelerator')?.detail).toContain('none');
    // This machine's build links c10d with Gloo (libgloo-dev): data-parallel training must be available.
    expect(byName.get('data parallel')?.detail).toMatch(/c10d backends: gloo/);
    expect(formatDoctor(report)).toContain('all checks passed');
  });

  it('really searches with faiss and really tokenizes', async () => {
    expect(checkFaiss()).toMatch(/^ok/);
    expect(await checkTokenizers()).toContain('7 tokens');
  });

  it('exits non-zero and names the failure when the addon is broken', () => {
    // The compiled CLI, with SECORA_ADDON pointing at a file that does not exist.
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: packageRoot });
    const run = spawnSync(process.execPath, [join(packageRoot, 'bin', 'secora.js'), 'doctor'], {
      env: { ...process.env, SECORA_ADDON: '/nonexistent/secora.node' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/FAIL\s+native addon\s+secora's native addon is not built/);
    expect(run.stdout).toMatch(/ok\s+faiss-node/);
  });

  it('prints JSON with --json and exits 0 when everything works', () => {
    const run = spawnSync(process.execPath, [join(packageRoot, 'bin', 'secora.js'), 'doctor', '--json'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as { ok: boolean; build: { torchVersion: string } };
    expect(report.ok).toBe(true);
    expect(report.build.torchVersion).toMatch(/^\d/);
  });
});
