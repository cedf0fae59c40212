/** `importcost profile`: run a program under the agent, write the report and flamegraph, print the summary. */
import { type Command, Option } from 'commander';
import { DEFAULTS } from '../../profile/defaults.js';
import { createProgress } from '../../reporters/progress.js';
import { profile } from '../../profile/run-profile.js';
import type { Io } from '../io.js';
import { parseBytes, parseDuration, parsePositive, parseUntil } from '../parse.js';

export function registerProfile(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('profile')
    .description('run a program with the agent and write its import cost report and flamegraph')
    .argument('<command...>', 'entry file and its arguments, or -- node [node flags] entry [args]')
    .option('-o, --out <dir>', 'output folder', DEFAULTS.out)
    .option('--name <name>', 'base name of the output files (default: the entry file name)')
    .addOption(new Option('--until <when>', 'stop recording at: auto, exit, listening, idle, or after a time (5s)').default('auto').argParser(parseUntil))
    .addOption(new Option('--timeout <time>', 'stop recording after this long whatever happens').default(DEFAULTS.timeoutMs, '60s').argParser(parseDuration))
    .addOption(new Option('--settle <time>', "keep recording this long after a server's first listen()").default(DEFAULTS.settleMs, '250ms').argParser(parseDuration))
    .addOption(new Option('--idle <time>', 'start-up is over after the loop has been idle this long').default(DEFAULTS.idleMs, '1.5s').argParser(parseDuration))
    .addOption(new Option('--sample-interval <bytes>', 'bytes between heap samples (smaller: more precise, slower)').default(DEFAULTS.sampleInterval).argParser(parseBytes))
    .addOption(new Option('--sampling <mode>', 'deterministic (less spread) or poisson (no phase bias)').choices(['deterministic', 'poisson']).default(DEFAULTS.sampling))
    .option('--exact', 'measure each CommonJS load exactly with full GCs at its boundaries (slow)')
    .option('--esm-evaluation', 'also time ESM module bodies (adds a line to each ESM module: about 0.5 kB of heap each)')
    .addOption(new Option('--sampler <name>', 'heap sampler backend').choices(['inspector', 'v8-profiler-next']).default('inspector'))
    .addOption(new Option('--stack-depth <n>', 'frames kept per heap sample, with --sampler v8-profiler-next (fewer: faster)').argParser(parsePositive))
    .option('--no-startup-use', "do not mark the defer candidates start-up did not use (V8's coverage at the stop point, Node 22+)")
    .option('--node <path>', 'node binary to run the entry with (default: the one running importcost)')
    .addOption(new Option('--top <n>', 'rows per table in the summary').default(10).argParser(parsePositive))
    .option('-q, --quiet', 'print nothing (the files are still written)')
    .option('--open', 'then show the report in the browser (importcost view) until Ctrl-C')
    .passThroughOptions()
    .action(async (command: string[], opts) => {
      const quiet = Boolean(opts.quiet);
      // The summary's reporter loads while the target runs: every module the CLI loads before it starts
      // the target adds to the wall time of the whole command.
      const reporter = quiet ? null : import('../../reporters/summary.js');
      const progress = createProgress(io.stderr, io.env, { quiet, restoreOnSignals: io.forwardSignals });
      const result = await profile({
        command,
        cwd: io.cwd,
        env: io.env,
        out: opts.out,
        name: opts.name,
        until: opts.until,
        timeoutMs: opts.timeout,
        settleMs: opts.settle,
        idleMs: opts.idle,
        sampleInterval: opts.sampleInterval,
        sampling: opts.sampling,
        exact: Boolean(opts.exact),
        esmEvaluation: Boolean(opts.esmEvaluation),
        sampler: opts.sampler,
        stackDepth: opts.stackDepth,
        startupUse: opts.startupUse !== false,
        node: opts.node,
        forwardSignals: io.forwardSignals ?? false,
        codeCacheTag: io.codeCacheTag,
        onProgress: (message) => progress.step(message),
        onTick: ({ processes, modules }) => progress.detail(`${modules} module${modules === 1 ? '' : 's'} loaded${processes > 1 ? ` in ${processes} processes and threads` : ''}`),
      }).finally(() => progress.done());
      if (reporter) {
        const { formatSummary, pickStyle } = await reporter;
        io.stderr.write(
          formatSummary(result.report, {
            top: opts.top,
            style: pickStyle(io.stderr, io.env),
            files: [result.files.report, result.files.speedscope],
            cwd: io.cwd,
          }),
        );
      }
      setExit(result.exitCode);
      if (opts.open) await (await import('./view.js')).viewUntilInterrupted(io, result.files.report, { open: true });
    });
}
