/**
 * The command line: parse arguments, call the same functions the public API exports, pick reporters,
 * map results to an exit code. Nothing below this calls process.exit; `run` takes its world as an
 * argument so tests run it in-process.
 */
import { Command, CommanderError } from 'commander';
import { isImportcostError, usageError } from '../errors.js';
import { IMPORTCOST_VERSION } from '../version.js';
import { registerProfile } from './commands/profile.js';
import { registerCheck } from './commands/check.js';
import { registerDiff } from './commands/diff.js';
import { registerView } from './commands/view.js';
import { registerExport } from './commands/export.js';
import type { Io } from './io.js';

export type { Io } from './io.js';


function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('importcost')
    .description('Which of your imports cost the most memory and start-up time, and which to defer.')
    .version(IMPORTCOST_VERSION)
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: () => {} });
  // One file per command under ./commands; each adds itself to the program.
  registerProfile(program, io, setExit);
  registerCheck(program, io, setExit);
  registerDiff(program, io, setExit);
  registerView(program, io, setExit);
  registerExport(program, io, setExit);
  return program;
}

/** Run the CLI; resolves to the exit code. Known errors print one line and a hint; others rethrow. */
export async function run(io: Io): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(io.argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      // Commander adds a second line for some errors ("(Did you mean profile?)"): it goes in the hint.
      const [first = '', ...more] = err.message.replace(/^error: /, '').split('\n');
      const extra = more.join(' ').trim();
      return report(io, usageError(first, extra ? `${extra.replace(/^\((.*)\)$/, '$1')}; ${hintFor(err)}` : hintFor(err)));
    }
    if (isImportcostError(err)) return report(io, err);
    throw err;
  }
}

function hintFor(err: CommanderError): string {
  if (err.code === 'commander.unknownCommand') return 'run `importcost --help` for the commands';
  if (err.code === 'commander.unknownOption') return 'options go before the entry file; run `importcost <command> --help`';
  return 'run `importcost <command> --help` for the options';
}

function report(io: Io, err: { message: string; hint: string; exitCode: number }): number {
  io.stderr.write(`importcost: ${err.message}\n  hint: ${err.hint}\n`);
  return err.exitCode;
}

/** The real process: bin/importcost.js calls this. */
export async function main(): Promise<void> {
  process.exitCode = await run({
    argv: process.argv.slice(2),
    cwd: process.cwd(),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    forwardSignals: true,
  });
}
