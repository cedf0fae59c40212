/**
 * Node 22+: the agent's in-thread ESM hooks are in only while ES modules load (src/agent/esm-windows.cts).
 * Hooks in slow every require of a CommonJS program; out, they see no ES module. Both are checked on one
 * program (test/fixtures/esm-windows/main.cjs) that tells by itself, at each of its relative requires,
 * whether hooks were in: its own Module._resolveFilename wrapper finds their frames on its stack, since
 * Node resolves a require through the hooks' chain while any are registered. Its plain requires must see
 * none (before the windows: every one saw them), the requires made while an ES module loads must (inside a
 * require(esm) of an .mjs file, of a "type": "module" package, and inside an import()), and the report must
 * hold every ES module with the parent that imported it.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, moduleNamed, NODE22, NODE24, NODE26, runCli } from './helpers/run.js';

const entry = fixture('esm-windows', 'main.cjs');

describe.each([
  ['22', NODE22],
  ['24', NODE24],
  ['26', NODE26],
].filter(([, node]) => existsSync(node!)))('the ESM hooks on Node %s', (_, node) => {
  it('are in while ES modules load and out for the CommonJS requires between, and every ES module is recorded', async () => {
    const run = await runCli(['profile', '-q', '--node', node!, entry]);
    expect(run.code, run.stderr).toBe(0);
    const line = run.stdout.split('\n').find((l) => l.startsWith('[['));
    expect(line, run.stdout).toBeDefined();
    expect(Object.fromEntries(JSON.parse(line!) as [string, boolean][])).toEqual({
      './plain-1.cjs': false,
      './esm.mjs': false,
      './in-require.cjs': true,
      './plain-2.cjs': false,
      './typed/index.js': false,
      '../in-typed.cjs': true,
      './in-import.cjs': true,
      './plain-3.cjs': false,
    });
    const report = run.report!;
    const parentOf = (suffix: string) => report.modules[moduleNamed(report, suffix).parent!]!.path.replace(/.*\/esm-windows\//, '');
    expect(moduleNamed(report, '/esm.mjs').kind).toBe('esm');
    expect(moduleNamed(report, '/typed/index.js').kind).toBe('esm');
    expect(moduleNamed(report, '/dynamic.mjs').kind).toBe('esm');
    expect(parentOf('/esm-child.mjs')).toBe('esm.mjs');
    expect(parentOf('/in-require.cjs')).toBe('esm.mjs');
    expect(parentOf('/typed/child.js')).toBe('typed/index.js');
    expect(parentOf('/in-typed.cjs')).toBe('typed/index.js');
    expect(parentOf('/dynamic-child.mjs')).toBe('dynamic.mjs');
    expect(parentOf('/in-import.cjs')).toBe('dynamic.mjs');
    expect(parentOf('/dynamic.mjs')).toBe('main.cjs');
  });
});
