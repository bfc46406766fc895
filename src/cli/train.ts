// `secora-train <config.yml>`: the main job. A thin layer over train(): arguments, signals, the summary.
import { join } from 'node:path';
import { ConfigError, configHelp } from '../config/config.js';
import { packageRoot } from '../native.js';
import { distEnvFrom } from '../parallel/env.js';
import { launch } from '../parallel/launcher.js';
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
  --nproc-per-node N   data parallel: start N worker processes on this machine (c10d, Gloo on CPU, NCCL on
                       CUDA); without it, MASTER_ADDR/MASTER_PORT/WORLD_SIZE/RANK set by torchrun or srun are used
  --master-port P      the rendezvous port of --nproc-per-node (default: a free one)

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
        'nproc-per-node': { type: 'string' },
        'master-port': { type: 'string' },
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
  const nproc = values['nproc-per-node'] !== undefined ? Number(values['nproc-per-node']) : 1;
  if (!Number.isInteger(nproc) || nproc < 1) {
    process.stderr.write(`--nproc-per-node must be a whole number >= 1, got ${values['nproc-per-node']}\n`);
    return 2;
  }
  if (nproc > 1) return launchWorkers(argv, nproc, values['master-port']);
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
    // The other ranks of a data-parallel run have nothing to add to rank 0's summary.
    if (result.rank !== 0) return result.stopped ? EXIT.stopped : EXIT.ok;
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
    // A worker of a data-parallel run leaves at once: its peers' threads must not keep it waiting.
    if (distEnvFrom() !== null) {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    }
    throw error;
  }
  // The handlers stay until the process exits: a second signal during the shutdown still exits at once with 130.
};

/** --nproc-per-node N: this command N times, as ranks 0..N-1 of one run; exits as the workers did. */
async function launchWorkers(argv: string[], nproc: number, port: string | undefined): Promise<number> {
  if (distEnvFrom() !== null) {
    process.stderr.write(
      '--nproc-per-node starts the workers itself, but WORLD_SIZE (or SLURM_NTASKS) is already set, as torchrun and srun do: use one or the other\n',
    );
    return 2;
  }
  const masterPort = port !== undefined ? Number(port) : undefined;
  if (masterPort !== undefined && !(Number.isInteger(masterPort) && masterPort > 0 && masterPort < 65536)) {
    process.stderr.write(`--master-port must be a port number, got ${port}\n`);
    return 2;
  }
  // The workers get the same arguments without the launcher's own.
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--nproc-per-node' || a === '--master-port') i++;
    else if (!a.startsWith('--nproc-per-node=') && !a.startsWith('--master-port=')) rest.push(a);
  }
  const result = await launch({
    nproc,
    command: process.execPath,
    args: [...process.execArgv, join(packageRoot, 'bin', 'secora-train.js'), ...rest],
    ...(masterPort !== undefined ? { masterPort } : {}),
  });
  if (result.message) process.stderr.write(`secora-train: the run failed: ${result.message}\n`);
  return result.code;
}
