// Loads a compiled command from dist/cli, or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function loadCli(file) {
  const url = new URL(`../dist/cli/${file}`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) {
    process.stderr.write(
      `secora is not built (no ${fileURLToPath(url)}). Run: npm run build (or bash scripts/setup.sh)\n`,
    );
    process.exit(1);
  }
  const [{ main }, { runCli }] = await Promise.all([
    import(url.href),
    import(new URL('../dist/cli/run.js', import.meta.url).href),
  ]);
  return { main, runCli };
}
