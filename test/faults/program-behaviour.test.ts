/**
 * Faults: programs that do things to their own process that the agent must survive without changing
 * what they do. Each prints what it saw, and that output must be the same as in plain node:
 * - APM agents that wrap require, Module._load and _resolveFilename, patch exports and rewrite sources
 *   (require-in-the-middle, pirates), loaded by --require or by the app's first line;
 * - chdir() during start-up;
 * - stdin: a pipe that ends, and a closed descriptor 0;
 * - file descriptor 3 of their own (`sh -c 'node app.js 3>file'`), and descriptors closed and reused
 *   (the agent's event stream is one of those: it must never write into the program's file).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/format.js';
import { moduleNamed } from '../helpers/run.js';
import { faults, spawnCli } from './helpers.js';

const scratch = (): string => mkdtempSync(join(tmpdir(), 'importcost-faults-program-'));

/** The program in plain node: its stdout (stdin as given, or closed through the shell). */
function plain(args: string[], options: { cwd?: string; input?: string; closedStdin?: boolean } = {}): string {
  const run = options.closedStdin
    ? spawnSync('/bin/sh', ['-c', 'exec "$0" "$@" <&-', process.execPath, ...args], { cwd: options.cwd, encoding: 'utf8', timeout: 30_000 })
    : spawnSync(process.execPath, args, { cwd: options.cwd, input: options.input, encoding: 'utf8', timeout: 30_000 });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

/** importcost profile of `command` into a fresh folder: the run and its main report. */
async function profiled(command: string[], options: { cwd?: string; stdin?: string | 'closed' } = {}) {
  const out = scratch();
  const run = await spawnCli(['profile', '-q', '-o', out, '--name', 'run', ...command], options);
  expect(run.code, run.stderr).toBe(0);
  return { run, report: JSON.parse(readFileSync(join(out, 'run.importcost.json'), 'utf8')) as Report };
}

describe('programs that patch require and Module._load, as APM agents do', () => {
  const apm = faults('apm');
  for (const [how, command] of [
    ['loaded by --require', ['--', process.execPath, '--require', './hook.js', 'app.js']],
    ["loaded by the app's first line", ['in-app.js']],
  ] as const) {
    it(`${how}: the agent's hooks and the APM's both see every load; the program's output is plain node's`, async () => {
      const expected = plain(command[0] === '--' ? command.slice(2) : [command[0]], { cwd: apm });
      // [[1,2],[3]], then what the APM saw: hundreds of loads, lodash patched and its patch called, two files rewritten.
      expect(JSON.parse(expected.split('\n')[1]!)).toMatchObject({ lodash: true, chunkCalls: 1, transformed: 2 });
      const { run, report } = await profiled([...command], { cwd: apm });
      expect(run.stdout).toBe(expected);
      const keeps = moduleNamed(report, '/apm/keeps.js');
      // 20,000 objects: 0.8-1.2 MB measured; its bytes are its own, not the APM wrappers' or the agent's.
      expect(keeps.selfBytes).toBeGreaterThan(600_000);
      expect(keeps.site).toEqual({ file: join(apm, 'app.js'), line: 3, column: 9 });
      expect(moduleNamed(report, '/lodash/lodash.js')).toMatchObject({ ok: true, site: { file: join(apm, 'app.js'), line: 2, column: 19 } });
      expect(moduleNamed(report, '/express/index.js').totalBytes).toBeGreaterThan(1_000_000);
    });
  }
});

describe('a program that changes its working folder', () => {
  it('chdir twice during start-up: every load is kept, and names stay relative to the folder it started in', async () => {
    const dir = faults('chdir');
    const expected = plain(['app.js'], { cwd: dir });
    expect(expected).toBe('cwd /\n');
    const { run, report } = await profiled(['app.js'], { cwd: dir });
    expect(run.stdout).toBe(expected);
    expect(report.cwd).toBe(dir);
    expect(report.modules[0]).toMatchObject({ path: join(dir, 'app.js'), name: './app.js' });
    expect(moduleNamed(report, '/chdir/sub/keeps.js').name).toBe('./sub/keeps.js');
    expect(moduleNamed(report, '/chdir/esm.mjs').name).toBe('./esm.mjs');
    expect(moduleNamed(report, '/got/dist/source/index.js').name).toBe('got@14.6.6');
    expect(moduleNamed(report, '/express/index.js').site).toEqual({ file: join(dir, 'app.js'), line: 8, column: 11 });
  });
});

describe('a program that reads stdin', () => {
  const input = 'x'.repeat(100_000);
  it('from a pipe that ends: it reads all of it, and what it loads after the end is kept', async () => {
    const expected = plain([faults('reads-stdin.js')], { input });
    expect(expected).toBe('stdin bytes 100000\n');
    const { run, report } = await profiled([faults('reads-stdin.js')], { stdin: input });
    expect(run.stdout).toBe(expected);
    expect(report.stop).toMatchObject({ reason: 'exit', exitCode: 0 });
    expect(moduleNamed(report, '/express/index.js').ok).toBe(true);
  });

  it('with descriptor 0 closed: the same as plain node (an empty stdin), and nothing hangs', async () => {
    const expected = plain([faults('reads-stdin.js')], { closedStdin: true });
    const { run, report } = await profiled([faults('reads-stdin.js')], { stdin: 'closed' });
    expect(run.stdout).toBe(expected);
    expect(moduleNamed(report, '/express/index.js').ok).toBe(true);
  });
});

describe('a program that uses file descriptors itself', () => {
  it("descriptor 3 of its own, opened by the command's shell: its writes land there, all of them", async () => {
    const dir = scratch();
    const file = join(dir, 'fd3.txt');
    const { report } = await profiled(['--', '/bin/sh', '-c', `"$0" "${faults('uses-fd3.js')}" 3>"${file}"`, process.execPath]);
    expect(readFileSync(file, 'utf8')).toBe('before the loads\nafter the loads\n');
    expect(report.modules[0]!.path).toBe(faults('uses-fd3.js'));
    expect(moduleNamed(report, '/express/index.js').ok).toBe(true);
  });

  it("closes descriptors it did not open and gets their numbers back: its file holds only its own lines, and the agent's stream goes on", async () => {
    const dir = scratch();
    const log = join(dir, 'own.log');
    const { run, report } = await profiled([faults('closes-fds.js'), log]);
    expect(run.stdout).toBe(`${JSON.stringify('mine 1\nmine 2\n')}\n`);
    expect(readFileSync(log, 'utf8')).toBe('mine 1\nmine 2\n');
    expect(report.stop).toMatchObject({ reason: 'exit', exitCode: 0 });
    // Every load after the descriptors were closed still reached the CLI, and the report is whole.
    expect(moduleNamed(report, '/express/index.js').ok).toBe(true);
    expect(report.totals.heap).toBe('end-of-startup');
  });
});
