// `secora hparam run|show`: the hyperparameter search, a thin layer over src/hparam.

import { ConfigError } from '../config/config.js';
import { loadSearch } from '../hparam/search-file.js';
import { runSearch } from '../hparam/searcher.js';
import { formatTable, loadStudy } from '../hparam/show.js';
import { StopRequest } from '../train/stop-signal.js';
import { parseCommandLine } from './args.js';
import type { CommandMain } from './run.js';

const USAGE = `usage: secora hparam run <search.yml> [--study FILE] [--resume] [--trials N] [--minutes M] [--set key=value]
       secora hparam show <study> [--json]

run     trials of the search, each its own secora-train process, until the budget is spent; the study (SQLite)
        defaults to <output_dir>/<name>/study.sqlite, beside the trial folders and best.yml (the best config).
        --trials, --minutes and --set (a fixed override of every trial, repeatable) change the search file's
        budget and set without editing it. --resume continues a study (after a crash or kill -9: running trials are queued again); several
        searchers may work on one study at once. Ctrl-C stops the running trials and queues them again.
show    the trials, best first (a study file or its folder); --json for programs.
        tensorboard --logdir <study folder> compares the trials in its HPARAMS view.`;

const run: CommandMain = async (argv) => {
  const { values, positionals } = parseCommandLine(
    {
      args: argv,
      allowPositionals: true,
      options: {
        study: { type: 'string' },
        resume: { type: 'boolean' },
        trials: { type: 'string' },
        minutes: { type: 'string' },
        set: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    },
    USAGE,
  );
  if (values.help || positionals.length !== 1) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  let spec: ReturnType<typeof loadSearch>;
  try {
    spec = loadSearch(positionals[0]!);
    for (const [flag, value] of [
      ['trials', values.trials],
      ['minutes', values.minutes],
    ] as const) {
      if (value === undefined) continue;
      const n = Number(value);
      if (!(n > 0) || (flag === 'trials' && !Number.isInteger(n))) {
        process.stderr.write(
          `--${flag} ${value}: expected a positive ${flag === 'trials' ? 'integer' : 'number'}\n`,
        );
        return 2;
      }
      spec.budget[flag] = n;
    }
    spec.set.push(...(values.set ?? []));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const stop = new StopRequest(
    (signal) => process.stderr.write(`\n${signal}: stopping the running trials (again to quit at once)\n`),
    () => process.exit(130),
  ).install();
  let summary: Awaited<ReturnType<typeof runSearch>>;
  try {
    summary = await runSearch(spec, {
      ...(values.study ? { studyFile: values.study } : {}),
      ...(values.resume ? { resume: true } : {}),
      stop,
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { trials, failures, retried, best, bestConfig } = summary;
  const count = (s: string) => trials.filter((t) => t.state === s).length;
  process.stdout.write(`${formatTable(spec, loadStudy(summary.studyFile).trials)}\n\n`);
  const failedText = Object.entries(failures)
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  process.stdout.write(
    `${count('completed')} completed, ${count('pruned')} pruned, ${count('failed')} failed${failedText ? ` (${failedText}; ${retried} retried)` : ''}\n`,
  );
  if (best)
    process.stdout.write(
      `best: trial ${best.number}, ${spec.metric.key} ${best.value!.toFixed(4)}; config: ${bestConfig}\n`,
    );
  else process.stdout.write('no trial completed\n');
  return stop.requested ? 130 : best ? 0 : 1;
};

const show: CommandMain = async (argv) => {
  const { values, positionals } = parseCommandLine(
    {
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    },
    USAGE,
  );
  if (values.help || positionals.length !== 1) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const { spec, trials, file } = loadStudy(positionals[0]!);
  if (values.json)
    process.stdout.write(
      `${JSON.stringify({ study: file, name: spec.name, metric: spec.metric, trials }, null, 2)}\n`,
    );
  else process.stdout.write(`${file}\n${formatTable(spec, trials)}\n`);
  return 0;
};

export const hparamCommand: CommandMain = async (argv) => {
  const [sub, ...rest] = argv;
  if (sub === 'run') return run(rest);
  if (sub === 'show') return show(rest);
  process.stdout.write(`${USAGE}\n`);
  return sub === undefined || sub === '--help' || sub === '-h' ? 0 : 2;
};
