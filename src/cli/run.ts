// Shared by the command-line entry points: run a command's main, print a failure once, set the exit code.
// The library itself never calls process.exit.
import { UsageError } from './args.js';

export type CommandMain = (argv: string[]) => Promise<number>;

export async function runCli(main: CommandMain, argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${error.usage}\n`);
      process.exitCode = 2;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message}\n`);
    if (process.env['SECORA_DEBUG'] && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  }
}
