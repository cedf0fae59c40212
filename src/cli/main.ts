/**
 * The command line: parse arguments, call the same functions the public API exports, pick reporters,
 * map results to an exit code. Nothing below this calls process.exit; `run` takes its world as an
 * argument so tests run it in-process.
 */
import { Command, CommanderError } from 'commander';
import { isImportcostError, usageError } from '../errors.js';
import { IMPORTCOST_VERSION } from '../version.js';
import type { Io } from './io.js';

export type { Io } from './io.js';


type Register = (program: Command, io: Io, setExit: (code: number) => void) => void;

/**
 * One file per command under ./commands; each adds itself to the program. Only the command named is
 * loaded when there is one: `profile` starts its target after the CLI's own modules load, and the other
 * commands' modules (budgets, viewer, diff) took about 4 ms of that on Node 20 (spawned at 69 ms after
 * the CLI's start against 72 ms, medians of 7). Help, the version and unknown commands load them all.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  profile: async () => (await import('./commands/profile.js')).registerProfile,
  check: async () => (await import('./commands/check.js')).registerCheck,
  diff: async () => (await import('./commands/diff.js')).registerDiff,
  view: async () => (await import('./commands/view.js')).registerView,
  export: async () => (await import('./commands/export.js')).registerExport,
  fit: async () => (await import('./commands/fit.js')).registerFit,
  defer: async () => (await import('./commands/defer.js')).registerDefer,
};

async function buildProgram(io: Io, setExit: (code: number) => void): Promise<Command> {
  const program = new Command('importcost')
    .description('Which of your imports cost the most memory and start-up time, and which to defer.')
    .version(IMPORTCOST_VERSION)
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: () => {} });
  const named = io.argv[0];
  const wanted = named !== undefined && Object.hasOwn(COMMANDS, named) ? [COMMANDS[named]!] : Object.values(COMMANDS);
  for (const register of await Promise.all(wanted.map((load) => load()))) register(program, io, setExit);
  return program;
}

/** Run the CLI; resolves to the exit code. Known errors print one line and a hint; others rethrow. */
export async function run(io: Io): Promise<number> {
  let exitCode = 0;
  const program = await buildProgram(io, (code) => {
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

/** The real process: bin/importcost.js calls this, with what it read before changing a V8 flag. */
export async function main(startup: { codeCacheTag?: number } = {}): Promise<void> {
  process.exitCode = await run({
    argv: process.argv.slice(2),
    cwd: process.cwd(),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    forwardSignals: true,
    codeCacheTag: startup.codeCacheTag,
  });
}
