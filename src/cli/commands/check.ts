/**
 * `importcost check`: hold the program's start-up to the budgets in importcost.config.json (and to a
 * stored baseline). Exit 0 when every budget holds, 1 when one fails, 2 on a usage or config error.
 */
import { type Command, Option } from 'commander';
import { parseIncrease, parseMaxIncrease, type MaxIncrease } from '../../budgets/config.js';
import { isImportcostError } from '../../errors.js';
import type { CheckFormat } from '../../reporters/check.js';
import { createProgress } from '../../reporters/progress.js';
import type { Io } from '../io.js';
import { invalid, parsePositive, parseUntil } from '../parse.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `5%` (heap and modules), or `heap=2MB`, `loadTime=10%`, `modules=20`, `packages=500kB`; repeatable. */
export function parseMaxIncreaseFlag(value: string, previous: MaxIncrease = {}): MaxIncrease {
  try {
    const eq = value.indexOf('=');
    if (eq < 0) return { ...previous, ...parseMaxIncrease(value, '--max-increase', 'importcost check') };
    const metric = value.slice(0, eq).trim();
    if (metric !== 'heap' && metric !== 'loadTime' && metric !== 'modules' && metric !== 'packages') {
      return invalid(`--max-increase ${value}: expected heap, loadTime, modules or packages before "=", got "${metric}"`);
    }
    return { ...previous, [metric]: parseIncrease(metric, value.slice(eq + 1).trim(), `--max-increase ${metric}`, 'importcost check') };
  } catch (err) {
    if (isImportcostError(err)) return invalid(err.message.replace(/^importcost check: /, ''));
    throw err;
  }
}

export function registerCheck(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('profile the entry and check it against the budgets in importcost.config.json (exit 1 when one fails)')
    .argument('[entry]', 'entry file (default: the config\'s entry)')
    .option('-c, --config <file>', 'config file (default: importcost.config.json/.js/.mjs or the importcost field of package.json)')
    .option('--report <file>', 'check a stored report instead of profiling (repeat for several runs)', collect)
    .option('--baseline <file>', 'a stored report to compare against; growth beyond --max-increase fails')
    .option('--max-increase <limit>', 'growth allowed over the baseline: 5% (heap and modules), or heap=2MB, loadTime=10%, modules=20, packages=500kB; repeatable', parseMaxIncreaseFlag)
    .addOption(new Option('--runs <n>', 'profile n times; time budgets use the median (default: 3 with a time budget, else 1)').argParser(parsePositive))
    .addOption(new Option('--format <format>', 'output format (default: text)').choices(['text', 'markdown', 'json']).default('text'))
    .option('-o, --out <dir>', 'folder for the report checked (keep it as the next baseline)', 'importcost-out')
    .addOption(new Option('--until <when>', "stop recording at: auto, exit, listening, idle, or after a time (default: the config's, else auto)").argParser(parseUntil))
    .option('--node <path>', 'node binary to run the entry with')
    .option('--process <which>', "the process the budgets apply to: main (the main report, default), a role (child, cluster-worker, worker-thread, launcher) or a label (cluster-worker-2)")
    .addOption(new Option('--top <n>', 'rows in the top packages (default 5) and in each list of the diff against the baseline').argParser(parsePositive))
    .option('-q, --quiet', 'no progress messages')
    .action(async (entry: string | undefined, opts) => {
      // Loaded here, not at start: the CLI starts the target sooner (see profile.ts).
      const [{ check }, { formatCheck, formatCheckMarkdown }, { appendStepSummary, formatAnnotations, isGitHubActions }] = await Promise.all([
        import('../../budgets/run-check.js'),
        import('../../reporters/check.js'),
        import('../../reporters/github.js'),
      ]);
      const progress = createProgress(io.stderr, io.env, { quiet: Boolean(opts.quiet), restoreOnSignals: io.forwardSignals });
      const result = await check({
        cwd: io.cwd,
        env: io.env,
        config: opts.config,
        entry,
        reports: opts.report,
        baseline: opts.baseline,
        maxIncrease: opts.maxIncrease,
        runs: opts.runs,
        out: opts.out,
        until: opts.until,
        node: opts.node,
        process: opts.process,
        top: opts.top,
        onProgress: (message) => progress.step(message),
      }).finally(() => progress.done());
      const format = opts.format as CheckFormat;
      const options = { cwd: io.cwd, configSource: result.configSource, reportFile: result.reportFile, process: result.process, top: opts.top };
      io.stdout.write(formatCheck(format, result, options));
      if (isGitHubActions(io.env)) {
        // Workflow commands are read from the job's output; keep JSON on stdout parseable.
        const annotations = formatAnnotations(result, io.env.GITHUB_WORKSPACE ?? io.cwd);
        (format === 'json' ? io.stderr : io.stdout).write(annotations);
        if (io.env.GITHUB_STEP_SUMMARY) appendStepSummary(io.env.GITHUB_STEP_SUMMARY, formatCheckMarkdown(result, { ...options, cwd: io.env.GITHUB_WORKSPACE ?? io.cwd }));
      }
      setExit(result.passed ? 0 : 1);
    });
}
