/**
 * Test helpers: run the real CLI in a real child process, and compute ground truth in fresh processes.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Recording } from '../../src/recording/format.js';
import type { Report } from '../../src/report/format.js';
import type { SpeedscopeFile } from '../../src/exporters/speedscope.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'importcost.js');
export const NODE22 = join(ROOT, 'test', 'node-versions', 'node_modules', 'node22', 'bin', 'node');
export const NODE24 = join(ROOT, 'test', 'node-versions', 'node_modules', 'node24', 'bin', 'node');
export const NODE26 = join(ROOT, 'test', 'node-versions', 'node_modules', 'node26', 'bin', 'node');
export const V8_PROFILER_NEXT = join(ROOT, 'node_modules', 'v8-profiler-next', 'build', 'Release', 'profiler.node');
export const fixture = (...parts: string[]): string => join(ROOT, 'test', 'fixtures', ...parts);

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  out: string;
  report: Report | null;
  speedscope: SpeedscopeFile | null;
}

/** Run `importcost <args>` as a real process; reads <out>/run.importcost.json if `profile` wrote it. */
export async function runCli(
  args: string[],
  options: {
    cwd?: string;
    env?: Record<string, string>;
    out?: string;
    node?: string;
    /** Called with the CLI's pid and everything printed on stdout so far, after each chunk. */
    onStdout?: (pid: number, stdoutSoFar: string) => void;
  } = {},
): Promise<CliRun> {
  const out = options.out ?? mkdtempSync(join(tmpdir(), 'importcost-test-'));
  const [command, ...rest] = args;
  const full = command === 'profile' ? ['profile', '-o', out, '--name', 'run', ...rest] : args;
  return new Promise((resolvePromise) => {
    const child = spawn(options.node ?? process.execPath, [BIN, ...full], {
      cwd: options.cwd ?? ROOT,
      // (FORCE_COLOR would win over NO_COLOR: a test that wants colours sets it.)
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      options.onStdout?.(child.pid!, stdout);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => {
      const reportPath = join(out, 'run.importcost.json');
      const speedscopePath = join(out, 'run.speedscope.json');
      resolvePromise({
        code,
        signal,
        stdout,
        stderr,
        out,
        report: existsSync(reportPath) ? JSON.parse(readFileSync(reportPath, 'utf8')) : null,
        speedscope: existsSync(speedscopePath) ? JSON.parse(readFileSync(speedscopePath, 'utf8')) : null,
      });
    });
  });
}

const execFileAsync = promisify(execFile);

/**
 * First-load retained bytes of each spec ("cjs:name" or "esm:name"), loaded in order in one fresh
 * `node --expose-gc --no-flush-bytecode` process (shared/NOTES.md), measured in `runs` processes.
 * Returns each spec's values sorted ascending. `flags` go to node before the script (for example
 * --single-threaded, which makes the values repeatable; see test/real-deps.test.ts).
 */
export async function groundTruthRuns(
  baseDir: string,
  specs: string[],
  { runs = 3, node = process.execPath, flags = [] as string[], stdinNull = false } = {},
): Promise<Record<string, number[]>> {
  const results: Record<string, number>[] = [];
  for (let i = 0; i < runs; i++) {
    // As the program runs: a CommonJS script for CommonJS dependencies (`node app.js`), an ES module one
    // (whose Node has started its ESM loader) as soon as one is an ES module (ground-truth.cjs says why).
    const script = join(ROOT, 'test', 'helpers', specs.some((spec) => spec.startsWith('esm:')) ? 'ground-truth.mjs' : 'ground-truth.cjs');
    const args = ['--expose-gc', '--no-flush-bytecode', ...flags, script, baseDir, ...specs];
    // `stdinNull`: standard input /dev/null and output to pipes, as runCli's target has (a facade of
    // node:process reads process.stdin, stdout and stderr, and what that loads depends on their kind: from
    // stdin, 0.65-0.76 MB from /dev/null against 0.51-0.54 MB from a pipe, Node 22-26; on Node 24 a pipe
    // for stderr read 0.74 MB against 0.60 MB for a file); else three pipes, as execFile gives.
    const stdout = stdinNull ? await outputWithNullStdin(node, args) : (await execFileAsync(node, args)).stdout;
    results.push(JSON.parse(stdout));
  }
  return Object.fromEntries(specs.map((spec) => [spec, results.map((r) => r[spec]!).sort((a, b) => a - b)]));
}

function outputWithNullStdin(node: string, args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let [out, err] = ['', ''];
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done(out) : fail(new Error(`${node} ${args.join(' ')} exited with ${code}:\n${err}`))));
  });
}

/** The recording of one `importcost profile --node <node> <entry>` run, kept (IMPORTCOST_KEEP_RECORDING). */
export async function keptRecording(entry: string, node: string): Promise<Recording> {
  const dir = mkdtempSync(join(tmpdir(), 'importcost-kept-'));
  try {
    const kept = join(dir, 'recording.json');
    const run = await runCli(['profile', '--node', node, entry], { env: { IMPORTCOST_KEEP_RECORDING: kept } });
    if (run.code !== 0) throw new Error(`importcost profile ${entry} exited with ${run.code}:\n${run.stderr}`);
    return JSON.parse(readFileSync(kept, 'utf8')) as Recording;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const median = (sorted: number[]): number => sorted[Math.floor(sorted.length / 2)]!;

/** The median of {@link groundTruthRuns} per spec. */
export async function groundTruth(baseDir: string, specs: string[], runs = 3, node = process.execPath): Promise<Record<string, number>> {
  const values = await groundTruthRuns(baseDir, specs, { runs, node });
  return Object.fromEntries(specs.map((spec) => [spec, median(values[spec]!)]));
}

export const moduleNamed = (report: Report, suffix: string) => {
  const found = report.modules.find((m) => m.path.endsWith(suffix));
  if (!found) throw new Error(`no module ending in ${suffix}; have ${report.modules.map((m) => m.path).join(', ')}`);
  return found;
};
