/** `importcost diff base head`: what grew, shrank, and newly loads at start-up between two reports. */
import { type Command, Option } from 'commander';
import { DEFAULT_MIN_BYTES } from '../../analysis/diff-defaults.js';
import type { Io } from '../io.js';
import { resolve } from 'node:path';
import { invalid, parsePositive } from '../parse.js';
import { parseSize } from '../../budgets/units.js';

export function registerDiff(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('diff')
    .description('compare two reports: packages newly loaded, grown, shrunk, no longer loaded, by bytes')
    .argument('<base>', 'the baseline report (<name>.importcost.json)')
    .argument('<head>', 'the report to compare with it')
    .option('--json', 'machine-readable output (same as --format json)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
    .addOption(new Option('--top <n>', 'rows per section').default(10).argParser(parsePositive))
    .addOption(
      new Option('--min-bytes <size>', 'smaller changes count as unchanged (sampling error)')
        .default(DEFAULT_MIN_BYTES, '10 kB')
        .argParser((v) => parseSize(v) ?? invalid(`expected a size such as 10kB, got "${v}"`)),
    )
    .action(async (base: string, head: string, opts) => {
      const [{ diffReports }, { readReport }, { formatDiffMarkdown, formatDiffText }] = await Promise.all([
        import('../../analysis/diff-reports.js'),
        import('../../report/read-report.js'),
        import('../../reporters/diff.js'),
      ]);
      const diff = diffReports(readReport(resolve(io.cwd, base)), readReport(resolve(io.cwd, head)), { minBytes: opts.minBytes });
      const format = opts.json ? 'json' : opts.format;
      if (format === 'json') io.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
      else if (format === 'markdown') io.stdout.write(formatDiffMarkdown(diff, { cwd: io.cwd, top: opts.top }));
      else io.stdout.write(formatDiffText(diff, { cwd: io.cwd, top: opts.top }));
      setExit(0);
    });
}
