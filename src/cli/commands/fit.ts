/** `importcost fit`: the smallest heap a program starts and serves in; prints each step and the answer. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { FIT_DEFAULTS, fit } from '../../fit/run-fit.js';
import { createProgress } from '../../reporters/progress.js';
import type { Io } from '../io.js';
import { parseDuration, parsePositive } from '../parse.js';

/** `25%` or `0.25` -> 0.25. */
function parseFraction(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(%)?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`expected a fraction such as 0.25 or 25%, got "${text}"`);
  return Number(m[1]) / (m[2] ? 100 : 1);
}

export function registerFit(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('fit')
    .description('find the smallest --max-old-space-size the program starts and serves in, and what holds the heap there')
    .argument('<command...>', 'entry file and its arguments, or -- node [node flags] entry [args], or -- any command')
    .option('-o, --out <dir>', 'output folder', 'importcost-out')
    .option('--name <name>', 'base name of the output files (default: the entry file name)')
    .addOption(new Option('--min <MiB>', 'smallest --max-old-space-size to try').default(FIT_DEFAULTS.minMB).argParser(parsePositive))
    .addOption(new Option('--max <MiB>', 'largest (default: 4x the heap of a first run with no limit, at most the machine memory)').argParser(parsePositive))
    .addOption(new Option('--tries <n>', 'runs a size; it passes only if every one passes').default(FIT_DEFAULTS.tries).argParser(parsePositive))
    .addOption(new Option('--requests <n>', 'GET requests a server must answer at each run').default(FIT_DEFAULTS.requests).argParser(parsePositive))
    .option('--health <path>', 'path the requests go to (any status below 500 passes)', FIT_DEFAULTS.health)
    .addOption(new Option('--request-timeout <time>', 'each request must be answered within').default(FIT_DEFAULTS.requestTimeoutMs, '5s').argParser(parseDuration))
    .addOption(new Option('--timeout <time>', 'start-up (listen, or exit) must end within, at each run').default(FIT_DEFAULTS.timeoutMs, '30s').argParser(parseDuration))
    .addOption(new Option('--headroom <fraction>', 'added to the minimum and to the measured memory for the recommendation').default(FIT_DEFAULTS.headroom, '25%').argParser(parseFraction))
    .option('--node <path>', 'node binary to run the entry with (default: the one running importcost)')
    .option('--no-profile', 'skip the profile at the minimum')
    .option('-q, --quiet', 'print nothing but errors (fit.json is still written)')
    .passThroughOptions()
    .action(async (command: string[], opts) => {
      const quiet = Boolean(opts.quiet);
      const reporter = await import('../../reporters/fit.js');
      // The steps' own lines are the log; on a terminal the bottom line says which try is running.
      const progress = createProgress(io.stderr, io.env, { quiet, terminalOnly: true, restoreOnSignals: io.forwardSignals });
      const result = await fit({
        command,
        cwd: io.cwd,
        env: io.env,
        out: opts.out,
        name: opts.name,
        minMB: opts.min,
        maxMB: opts.max,
        tries: opts.tries,
        requests: opts.requests,
        health: opts.health,
        requestTimeoutMs: opts.requestTimeout,
        timeoutMs: opts.timeout,
        headroom: opts.headroom,
        node: opts.node,
        profileAtMinimum: opts.profile !== false,
        forwardSignals: io.forwardSignals ?? false,
        onEvent: quiet
          ? undefined
          : (event) => {
              if (event.type === 'try') progress.step(`fit: ${event.mb} MiB, try ${event.attempt} of ${event.tries}`);
              const line = reporter.formatFitEvent(event);
              if (line !== null) io.stderr.write(`${line}\n`);
            },
      }).finally(() => progress.done());
      if (result.problem !== null) io.stderr.write(`importcost: ${result.problem}\n`);
      if (result.report && !quiet) {
        const files = [result.file!, ...(result.report.atMinimum ? [result.report.atMinimum.report] : [])];
        io.stderr.write(reporter.formatFitAnswer(result.report, files, io.cwd));
      }
      setExit(result.exitCode);
    });
}
