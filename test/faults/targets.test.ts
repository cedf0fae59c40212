/**
 * Faults: targets that misbehave. Those that block, get killed or run out of memory are in
 * test/hardening.test.ts; those that throw or exit in the middle of a load in test/cli-profile.test.ts.
 * Here: a target whose children outlive it, out of its tree (a detached Node process, and a shell daemon
 * re-parented to init that ignores SIGTERM), and a chain of requires so deep that the stack overflows.
 * Nothing may be left running once importcost exits: checked in /proc.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/format.js';
import { writeChain } from './generate.js';
import { faults, running, spawnCli } from './helpers.js';

describe('a target whose children outlive it', () => {
  it('a detached Node child and a daemon re-parented to init that ignores SIGTERM: both stopped, nothing left running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'importcost-faults-outlive-'));
    const out = join(dir, 'out');
    const run = await spawnCli(['profile', '-o', out, '--name', 'run', faults('outlives.js'), dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('started both');
    const pids = ['node.pid', 'daemon.pid'].map((f) => Number(readFileSync(join(dir, f), 'utf8')));
    // Neither is below importcost's tree by the time it ends (one in a session of its own, one whose
    // parent shell exited at once): found by the environment every process of the command inherited.
    for (const pid of pids) expect(running(pid), `pid ${pid} still runs`).toBe(false);
    const report = JSON.parse(readFileSync(join(out, 'run.importcost.json'), 'utf8')) as Report;
    expect(report.modules.some((m) => m.package?.name === 'lodash')).toBe(true);
    // The Node child is profiled too (its agent said hello): a report of its own, listed in the main one.
    expect(report.processes!.map((p) => p.role).sort()).toEqual(['child', 'main']);
  });
});

describe('a chain of requires deeper than the stack', () => {
  it('the overflow is the program\'s own (as in plain node): exit 1, and every load up to it kept, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'importcost-faults-overflow-'));
    // 2,000 levels: plain node 20 overflows at about 860 (measured 863), under importcost at about 590.
    const entry = writeChain(dir, 2000);
    const plain = spawnSync(process.execPath, [entry], { encoding: 'utf8', timeout: 30_000 });
    expect(plain.status).toBe(1);
    expect(plain.stderr).toMatch(/RangeError: Maximum call stack size exceeded/);
    const run = await spawnCli(['profile', '-o', join(dir, 'out'), '--name', 'run', entry]);
    expect(run.code).toBe(1);
    const report = JSON.parse(readFileSync(join(dir, 'out', 'run.importcost.json'), 'utf8')) as Report;
    expect(report.stop).toMatchObject({ reason: 'crash', error: 'RangeError: Maximum call stack size exceeded' });
    const chain = report.modules.filter((m) => m.kind === 'cjs');
    expect(chain.length).toBeGreaterThan(500);
    chain.forEach((m, i) => expect(m.path).toBe(join(dir, `m${i}.js`)));
  });
});
