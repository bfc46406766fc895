// `secora <command>`: the everyday commands. Each is a thin layer over the library.
import { formatDoctor, runDoctor } from '../doctor.js';
import { corpus } from './corpus.js';
import type { CommandMain } from './run.js';

const USAGE = `usage: secora <command> [options]

commands:
  doctor [--json]     what the native addon was built with and sees; checks faiss-node and tokenizers
  corpus <dir…> --out <dir>   mine source trees into a CodeSearchNet-layout corpus (--help for options)

still to come: index, search, eval (see the README)`;

const doctor: CommandMain = async (argv) => {
  const report = await runDoctor();
  process.stdout.write(
    argv.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`,
  );
  return report.ok ? 0 : 1;
};

const commands: Record<string, CommandMain> = { doctor, corpus };

export const main: CommandMain = async (argv) => {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`secora: unknown command '${name}'\n${USAGE}\n`);
    return 2;
  }
  return command(rest);
};
