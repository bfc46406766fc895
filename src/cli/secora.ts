// `secora <command>`: the everyday commands. Each is a thin layer over the library.
import { formatDoctor, runDoctor } from '../doctor.js';
import { packageVersion, parseCommandLine } from './args.js';
import { corpus } from './corpus.js';
import { evalCommand } from './eval.js';
import { hparamCommand } from './hparam.js';
import { indexCommand } from './index-cmd.js';
import type { CommandMain } from './run.js';
import { searchCommand } from './search.js';

const USAGE = `usage: secora <command> [options]
       secora --version

commands:
  doctor [--json]     what the native addon was built with and sees; checks faiss-node and tokenizers
  corpus <dir…> --out <dir>   mine source trees into a CodeSearchNet-layout corpus
  index [dir] [--model DIR] [--out FILE]   index every function of a repository (again: only changed files)
  search "query" [--index FILE] [-k 10] [--mode hybrid|dense|bm25] [--json]   the best functions for a question
  eval <model dir> <data> [--corpus] [--annotations CSV]   CodeSearchNet MRR per language, BM25 beside it
  eval --questions FILE [--model DIR]   real developer questions over the Python, Go and Java standard libraries
  hparam run <search.yml> [--study FILE] [--resume] | show <study> [--json]   hyperparameter search

'secora <command> --help' lists every option of a command.`;

export const DOCTOR_USAGE = `usage: secora doctor [--json]
  checks that the native addon loads (and what libtorch, accelerator, threads and bf16 it sees), that
  faiss-node searches and that tokenizers tokenizes; exits 1 when a check fails
  --json   the checks as JSON on stdout`;

const doctor: CommandMain = async (argv) => {
  const { values } = parseCommandLine(
    {
      args: argv,
      options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    },
    DOCTOR_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${DOCTOR_USAGE}\n`);
    return 0;
  }
  const report = await runDoctor();
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`);
  return report.ok ? 0 : 1;
};

const commands: Record<string, CommandMain> = {
  doctor,
  corpus,
  index: indexCommand,
  search: searchCommand,
  eval: evalCommand,
  hparam: hparamCommand,
};

export const main: CommandMain = async (argv) => {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`secora: unknown command '${name}'\n${USAGE}\n`);
    return 2;
  }
  return command(rest);
};
