/** `importcost export --html <out> <file>`: one self-contained HTML file (summary and flamegraphs) for file://. */
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { outputError, usageError } from '../../errors.js';
import type { Io } from '../io.js';
import { displayPath } from './view.js';

export function registerExport(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('export')
    .description('write a report in another form: --html, one file with the summary and flamegraphs that opens with no server')
    .argument('<file>', 'the <name>.importcost.json that profile wrote (or its .speedscope.json)')
    .option('--html <out>', 'write a self-contained HTML page to <out>')
    .action(async (file: string, opts: { html?: string }) => {
      if (!opts.html) throw usageError('export needs a format', 'importcost export --html report.html <name>.importcost.json');
      const [{ loadViewerInput }, { renderViewerPage }] = await Promise.all([import('../../viewer/load-input.js'), import('../../viewer/render-page.js')]);
      const input = loadViewerInput(resolve(io.cwd, file), displayPath(io.cwd, file));
      const html = renderViewerPage(input, 'inline');
      const out = resolve(io.cwd, opts.html);
      try {
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, html);
      } catch (err) {
        throw outputError(`cannot write ${opts.html} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'check the folder exists and is writable');
      }
      io.stderr.write(`importcost: wrote ${displayPath(io.cwd, out)} (${(html.length / 1e6).toFixed(2)} MB; opens from disk, no server)\n`);
      setExit(0);
    });
}
