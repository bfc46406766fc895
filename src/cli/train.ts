// `secora-train <config.yml>`: the main job. A thin layer over train(): arguments, signals, the summary.
import { ConfigError, configHelp } from '../config/config.js';
import { DivergedError, EXIT } from '../train/run-result.js';
import { StopRequest } from '../train/stop-signal.js';
import { train } from '../train/trainer.js';
import { packageVersion, parseCommandLine } from './args.js';
import type { CommandMain } from './run.js';

const USAGE = `usage: secora-train <config.yml> [options]
       secora-train --version

  --name NAME          run folder name under output_dir (default: config name + time)
  --resume [RUN]       continue the newest run (or RUN, a name or folder) from its last complete checkpoint
  --restart RUN        start RUN (a name or folder) again from the beginning: only a run without checkpoints
  --set key=value      override a config key (repeatable), e.g. --set training.lr=0.001
  --device DEV         cpu, cuda or cuda:N (same as --set device=DEV)
  --deterministic      bitwise reproducible on CPU (same as --set deterministic=true)
  --progress           a progress line even when stderr is not a terminal
  --help-config        every config key with its default and allowed values
  --version            the installed secora's version

Ctrl-C (SIGINT) or SIGTERM stops after the current step and writes a checkpoint; a second one exits at once.
The run folder's result.json says how it ended. Exit codes: 0 done, 1 error, 2 bad config, 3 diverged (NaN or
training.max_loss), 130 stopped by a signal.
During start-up (data, tokenizer, the baseline validation) there is nothing to save: a signal ends it at once.`;

export const main: CommandMain = async (argv) => {
  // --resume takes an optional value: a following word that is not a flag or the config file.
  const args = [...argv];
  const ri = args.indexOf('--resume');
  let resume: boolean | string = false;
  if (ri >= 0) {
    const next = args[ri + 1];
    const takesValue = next !== undefined && !next.startsWith('-') && !/\.ya?ml$/.test(next);
    resume = takesValue ? next : true;
    args.splice(ri, takesValue ? 2 : 1);
  }
  const ti = args.indexOf('--restart');
  let restart: string | undefined;
  if (ti >= 0) {
    restart = args[ti + 1];
    if (restart === undefined || restart.startsWith('-')) {
      process.stderr.write('--restart needs the run to start again: a name under output_dir or a folder\n');
      return 2;
    }
    args.splice(ti, 2);
  }
  const { values, positionals } = parseCommandLine(
    {
      args,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        set: { type: 'string', multiple: true },
        device: { type: 'string' },
        deterministic: { type: 'boolean' },
        progress: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        'help-config': { type: 'boolean' },
        version: { type: 'boolean', short: 'V' },
      },
    },
    USAGE,
  );
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values['help-config']) {
    process.stdout.write(`${configHelp()}\n`);
    return 0;
  }
  const configFile = positionals[0];
  if (!configFile || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const sets = [...(values.set ?? [])];
  if (values.device) sets.push(`device=${values.device}`);
  if (values.deterministic) sets.push('deterministic=true');

  const stop = new StopRequest(
    (signal) =>
      process.stderr.write(
        `\n${signal}: finishing this step, then writing a checkpoint (again to quit at once)\n`,
      ),
    (signal) => {
      process.stderr.write(`\n${signal} again: exiting now; the last complete checkpoint is intact\n`);
      process.exit(130);
    },
  ).install();
  try {
    const result = await train({
      configFile,
      sets,
      ...(values.name ? { name: values.name } : {}),
      ...(resume ? { resume } : {}),
      ...(restart ? { restart } : {}),
      ...(values.progress ? { progress: true } : {}),
      stop,
    });
    const best = result.best
      ? `best validation MRR ${result.best.mrr.toFixed(4)} at step ${result.best.step}`
      : 'no validation yet';
    process.stdout.write(`${result.runDir}: ${result.steps}/${result.totalSteps} steps, ${best}\n`);
    if (result.stopped) {
      process.stdout.write(
        result.lastCheckpoint || result.steps > 0
          ? `stopped by ${result.stopped}; continue with: secora-train ${configFile} --resume ${result.runDir}\n`
          : `stopped by ${result.stopped} before the first checkpoint; start again with: secora-train ${configFile} --restart ${result.runDir}\n`,
      );
      return EXIT.stopped;
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT.config;
    }
    if (error instanceof DivergedError) {
      process.stderr.write(`${error.message}: the run failed (result.json says so)\n`);
      return EXIT.diverged;
    }
    throw error;
  }
  // The handlers stay until the process exits: a second signal during the shutdown still exits at once with 130.
};
