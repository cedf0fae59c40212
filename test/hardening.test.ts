/**
 * Nothing hangs, nothing that loaded is lost (issue 16): the four failures it reported, each in a real
 * process, and the exit codes the README's table promises.
 * - an output folder that cannot be made: one line, exit 2, at once (it used to spin forever on /proc/x);
 * - a target that never yields its event loop: the watchdog outside it stops it after --timeout plus
 *   its grace, keeps what loaded, exits 124; importcost's own SIGTERM ends it too, and nothing is left;
 * - a target killed by SIGKILL: exit 137, and a report of what it loaded;
 * - a target that runs out of memory at start-up: the report says so, with what had loaded.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Report } from '../src/report/format.js';
import { fixture, moduleNamed, runCli } from './helpers/run.js';

const faults = (file: string): string => fixture('faults', file);

/** Whether `pid` still runs (a zombie, ended but not reaped, does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

const loaded = (report: Report, name: string): boolean => report.modules.some((m) => m.package?.name === name);

describe('output folders', () => {
  for (const [what, out, code] of [
    ['in /proc, where it cannot be made', '/proc/importcost-x', 'ENOENT'],
    ['below a file', '/dev/null/x', 'ENOTDIR'],
  ] as const) {
    it(`${what}: one line, exit 2, before the target runs, at once`, async () => {
      const started = Date.now();
      const run = await runCli(['profile', faults('killed.js')], { out });
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`importcost: cannot write to ${out} (${code})\n  hint: ${code === 'ENOTDIR' ? 'a part of the path is a file' : 'it cannot be made there'}; choose another folder with --out\n`);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  }
});

describe('a target that never yields its event loop', () => {
  it('the watchdog stops it after --timeout and its grace, keeps what loaded, and exits 124', async () => {
    const started = Date.now();
    const run = await runCli(['profile', '--timeout', '1s', faults('blocks.js')]);
    const took = Date.now() - started;
    expect(run.code, run.stderr).toBe(124);
    const report = run.report!;
    expect(report.stop.reason).toBe('watchdog');
    expect(report.totals.heap).toBe('last-reading');
    expect(loaded(report, 'lodash')).toBe(true);
    expect(run.stderr).toMatch(/did not finish start-up within the timeout: importcost stopped it/);
    // 1 s, the watchdog's 2 s grace, then SIGTERM (which a blocked loop never handles) and SIGKILL 3 s on.
    expect(took).toBeGreaterThanOrEqual(3000);
    expect(took).toBeLessThan(20_000);
    expect(running(report.process.pid)).toBe(false);
  });

  it("importcost's own SIGTERM ends the run: the target tree is stopped, what loaded is kept, exit 143", async () => {
    let sent = false;
    const run = await runCli(['profile', '--timeout', '60s', faults('blocks.js')], {
      onStdout: (pid, soFar) => {
        if (!sent && soFar.includes('blocking')) {
          sent = true;
          setTimeout(() => process.kill(pid, 'SIGTERM'), 200);
        }
      },
    });
    expect(run.code).toBe(143);
    expect(loaded(run.report!, 'lodash')).toBe(true);
    expect(run.report!.stop.reason).toBe('killed');
    expect(running(run.report!.process.pid)).toBe(false);
  });
});

describe('a Ctrl-C while the target is being stopped after start-up', () => {
  // The run's end was already "start-up over": the signal used to kill the tree and be forgotten, and
  // importcost exited 0 (importcost fit, in CI, went on to its next step). Now the run ends as interrupted.
  it('ends the run as interrupted: exit 130, the lingering server killed at once, the report kept', async () => {
    let sent = false;
    const started = Date.now();
    const run = await runCli(['profile', faults('lingers.js')], {
      onStdout: (pid, soFar) => {
        if (!sent && soFar.includes('stopping')) {
          sent = true;
          process.kill(pid, 'SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(run.code, run.stderr).toBe(130);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(run.report!.stop.reason).toBe('listening');
    expect(loaded(run.report!, 'lodash')).toBe(true);
    expect(running(run.report!.process.pid)).toBe(false);
  });
});

describe('a target that ends before its heap can be read', () => {
  it('killed by SIGKILL: exit 137, and a report of what it loaded, in order, with times', async () => {
    const run = await runCli(['profile', faults('killed.js')]);
    expect(run.code).toBe(137);
    const report = run.report!;
    expect(report.stop).toMatchObject({ reason: 'killed', signal: 'SIGKILL' });
    expect(report.totals.heap).toBe('last-reading');
    expect(report.buckets.map((b) => b.name)).toContain('unknown');
    // heapBytes still adds up: attributed (nothing) plus every bucket.
    expect(report.buckets.reduce((sum, b) => sum + b.bytes, 0) + report.totals.attributedBytes).toBe(report.totals.heapBytes);
    const lodash = moduleNamed(report, '/node_modules/lodash/lodash.js');
    const express = moduleNamed(report, '/node_modules/express/index.js');
    expect(lodash.startMs).toBeLessThan(express.startMs);
    expect(lodash.totalMs).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/the target was killed by SIGKILL before its heap could be read; \d+ modules had loaded/);
  });

  it('out of memory at start-up: the report says so, with what had loaded and the heap at the end', async () => {
    const run = await runCli(['profile', '--', process.execPath, '--max-old-space-size=32', faults('oom.js')]);
    // V8 aborts: SIGABRT (134) passes through.
    expect(run.code).toBe(134);
    const report = run.report!;
    expect(report.stop.reason).toBe('out-of-memory');
    expect(report.stop.error).toMatch(/out of memory/);
    expect(loaded(report, 'express')).toBe(true);
    expect(loaded(report, 'lodash')).toBe(true);
    // Node's fatal-error report gives the heap when it aborted: near the 32 MB limit.
    expect(report.totals.heapBytes).toBeGreaterThan(20_000_000);
    expect(run.stderr).toMatch(/ran out of memory before its heap could be read/);
  });
});
