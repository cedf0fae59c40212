/** `importcost defer`: run the program with its heavy imports made lazy, measure, and print the change to make. */
import { type Command, Option } from 'commander';
import { DEFAULTS } from '../../profile/defaults.js';
import { DEFER_DEFAULTS, runDefer } from '../../defer/run-defer.js';
import { createProgress } from '../../reporters/progress.js';
import type { Io } from '../io.js';
import { parseDuration, parsePositive, parseUntil } from '../parse.js';

export function registerDefer(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('defer')
    .description('prove the defer advice: run the program as it is and with each package\'s imports made lazy, and compare')
    .argument('<command...>', 'entry file and its arguments, or -- node [node flags] entry [args]')
    .option('-p, --package <name>', 'a package to defer (repeat for more; default: the profile\'s top defer candidates)', (value: string, previous: string[] = []) => [...previous, value])
    .addOption(new Option('--top <n>', 'defer candidates taken when no package is named').default(DEFER_DEFAULTS.top).argParser(parsePositive))
    .addOption(new Option('--runs <n>', 'runs of the program as it is and of each deferred variant').default(DEFER_DEFAULTS.runs).argParser(parsePositive))
    .option('--health <path>', 'the path a server is sent (GET) once start-up is over; any HTTP answer counts', DEFER_DEFAULTS.health)
    .option('-o, --out <dir>', 'output folder', DEFAULTS.out)
    .option('--name <name>', 'base name of the output files (default: the entry file name)')
    .addOption(new Option('--until <when>', 'stop point of every run: auto, exit, listening, idle, or after a time (5s)').default('auto').argParser(parseUntil))
    .addOption(new Option('--timeout <time>', 'stop each run after this long whatever happens').default(DEFAULTS.timeoutMs, '60s').argParser(parseDuration))
    .addOption(new Option('--settle <time>', "keep running this long after a server's first listen()").default(DEFAULTS.settleMs, '250ms').argParser(parseDuration))
    .addOption(new Option('--idle <time>', 'start-up is over after the loop has been idle this long').default(DEFAULTS.idleMs, '1.5s').argParser(parseDuration))
    .option('--node <path>', 'node binary to run the entry with (default: the one running importcost)')
    .option('-q, --quiet', 'print nothing (the files are still written)')
    .passThroughOptions()
    .action(async (command: string[], opts) => {
      const quiet = Boolean(opts.quiet);
      const reporter = quiet ? null : import('../../reporters/defer.js');
      const progress = createProgress(io.stderr, io.env, { quiet, restoreOnSignals: io.forwardSignals });
      const health = String(opts.health);
      const result = await runDefer({
        command,
        cwd: io.cwd,
        env: io.env,
        out: opts.out,
        name: opts.name,
        packages: opts.package,
        top: opts.top,
        runs: opts.runs,
        health: health.startsWith('/') ? health : `/${health}`,
        until: opts.until,
        timeoutMs: opts.timeout,
        settleMs: opts.settle,
        idleMs: opts.idle,
        node: opts.node,
        forwardSignals: io.forwardSignals ?? false,
        codeCacheTag: io.codeCacheTag,
        onProgress: (message) => progress.step(message),
      }).finally(() => progress.done());
      if (reporter) {
        const [{ formatDeferTable }, { pickStyle }] = await Promise.all([reporter, import('../../reporters/summary.js')]);
        io.stderr.write(formatDeferTable(result.defer, { style: pickStyle(io.stderr, io.env), cwd: io.cwd, files: [result.file, result.reportFiles.report] }));
      }
      setExit(result.exitCode);
    });
}
