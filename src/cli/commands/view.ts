/** `importcost view <file>`: serve the summary page and speedscope on 127.0.0.1 until Ctrl-C. */
import { type Command, Option } from 'commander';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Io } from '../io.js';
import { invalid } from '../parse.js';

export function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > 65535) return invalid(`expected a port number from 0 to 65535, got "${text}"`);
  return n;
}

export function registerView(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('view')
    .description('show a report in the browser: a summary page and the flamegraphs (served on 127.0.0.1)')
    .argument('<file>', 'the <name>.importcost.json that profile wrote (or its .speedscope.json, or the <name>.defer.json of defer)')
    .addOption(new Option('--port <port>', 'port to listen on (default: a free one)').argParser(parsePort))
    .option('--no-open', 'only print the URL; do not open a browser')
    .action(async (file: string, opts: { port?: number; open: boolean }) => {
      await viewUntilInterrupted(io, file, opts);
      setExit(0);
    });
}

/**
 * Check the file, serve it, print the URL, open the browser, and wait for SIGINT/SIGTERM. Every check
 * happens before the server starts, so bad input is one line and exit 2 with nothing listening.
 * Also used by `profile --open`.
 */
export async function viewUntilInterrupted(io: Io, file: string, opts: { port?: number; open: boolean }): Promise<void> {
  const [{ loadViewerInput }, { serveViewer }, { openBrowser }] = await Promise.all([
    import('../../viewer/load-input.js'),
    import('../../viewer/serve-viewer.js'),
    import('../../viewer/open-browser.js'),
  ]);
  const input = loadViewerInput(resolve(io.cwd, file), displayPath(io.cwd, file));
  const server = await serveViewer(input, { port: opts.port });
  io.stdout.write(`importcost: viewing ${input.source} at ${server.url}  (Ctrl-C to stop)\n`);
  if (opts.open) {
    const opened = await openBrowser(server.url, io.env);
    if (opened === 'no-display') io.stdout.write('importcost: no display found; open the URL above in a browser\n');
    if (opened === 'failed') io.stdout.write('importcost: could not start a browser; open the URL above\n');
  }
  await new Promise<void>((resolveWait) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveWait();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}

/** The path as a person reads it: relative to the working folder when inside it, else absolute. */
export function displayPath(cwd: string, file: string): string {
  const rel = relative(cwd, resolve(cwd, file));
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? resolve(cwd, file) : rel;
}
