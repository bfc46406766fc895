// `secora-train <config.yml>`: the main job. The training loop arrives with the training issue; until then
// this checks the environment and says what is missing, and fails, since nothing was trained.
import { existsSync } from 'node:fs';
import { formatDoctor, runDoctor } from '../doctor.js';
import type { CommandMain } from './run.js';

export const main: CommandMain = async (argv) => {
  const config = argv.find((a) => !a.startsWith('-'));
  if (!config) {
    process.stderr.write('usage: secora-train <config.yml> [options]\n');
    return 2;
  }
  if (!existsSync(config)) {
    process.stderr.write(`secora-train: config file not found: ${config}\n`);
    return 2;
  }
  const report = await runDoctor();
  process.stdout.write(`${formatDoctor(report)}\n`);
  process.stderr.write(
    'secora-train: training is not built yet. What exists: the native addon over libtorch, faiss-node and ' +
      'tokenizers (checked above). Still to come: the encoder, the data pipeline, the training loop and search.\n',
  );
  return 1;
};
