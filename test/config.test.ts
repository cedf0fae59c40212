/**
 * importcost.config.json and friends: values as people write them, every place the config may live, and
 * one-line errors (exit 2) that name the bad field.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../src/budgets/config.js';
import { parseSize, parseTime } from '../src/budgets/units.js';
import { governingPattern } from '../src/budgets/glob.js';
import { run, type Io } from '../src/cli/main.js';
import { runCli } from './helpers/run.js';

const tmp = (files: Record<string, string>): string => {
  const dir = mkdtempSync(join(tmpdir(), 'importcost-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};

function io(cwd: string, argv: string[]): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    argv,
    cwd,
    env: { NO_COLOR: '1' },
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    out: () => out,
    err: () => err,
  };
}

const configErrorOf = (data: unknown): string => {
  try {
    validateConfig(data, '/app', 'importcost.config.json');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a config error');
};

describe('budget values', () => {
  it('reads sizes in decimal units as formatBytes prints them, and binary ones when asked', () => {
    expect(parseSize('60 MB')).toBe(60_000_000);
    expect(parseSize('800kB')).toBe(800_000);
    expect(parseSize('1.5 MiB')).toBe(1_572_864);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('60 mega')).toBeNull();
    expect(parseSize('-1 MB')).toBeNull();
  });

  it('reads times in ms and s', () => {
    expect(parseTime('800 ms')).toBe(800);
    expect(parseTime('1.5s')).toBe(1500);
    expect(parseTime(250)).toBe(250);
    expect(parseTime('fast')).toBeNull();
  });

  it('lets the most specific package pattern govern a package', () => {
    const patterns = ['*', '@aws-sdk/*', '@aws-sdk/client-s3'];
    expect(governingPattern(patterns, '@aws-sdk/client-s3')).toBe('@aws-sdk/client-s3');
    expect(governingPattern(patterns, '@aws-sdk/core')).toBe('@aws-sdk/*');
    expect(governingPattern(patterns, '@smithy/core')).toBe('*');
    expect(governingPattern(['@aws-sdk/*'], 'express')).toBeNull();
  });
});

describe('validateConfig', () => {
  it('turns the example from the issue into numbers', () => {
    const config = validateConfig(
      {
        entry: 'src/server.js',
        until: 'listening',
        budgets: { heap: '60 MB', loadTime: '800 ms', modules: 1500, packages: { '@aws-sdk/*': '8 MB', '*': '10 MB' }, forbid: ['typescript', 'puppeteer'] },
      },
      '/app',
      'importcost.config.json',
    );
    expect(config.entry).toBe('/app/src/server.js');
    expect(config.until).toBe('listening');
    expect(config.budgets).toEqual({
      heap: 60_000_000,
      loadTime: 800,
      modules: 1500,
      packages: { '@aws-sdk/*': 8_000_000, '*': 10_000_000 },
      forbid: ['typescript', 'puppeteer'],
    });
  });

  it('reads maxIncrease as a percentage for heap and modules, or per metric', () => {
    expect(validateConfig({ budgets: { maxIncrease: '5%' } }, '/app', 'c').budgets.maxIncrease).toEqual({ heap: { percent: 0.05 }, modules: { percent: 0.05 } });
    expect(validateConfig({ budgets: { maxIncrease: { heap: '2 MB', loadTime: '10%', modules: 20, packages: '500 kB' } } }, '/app', 'c').budgets.maxIncrease).toEqual({
      heap: { absolute: 2_000_000 },
      loadTime: { percent: 0.1 },
      modules: { absolute: 20 },
      packages: { absolute: 500_000 },
    });
  });

  it('names the bad field in one line', () => {
    expect(configErrorOf({ budgets: { heap: '60 mega' } })).toBe('importcost.config.json: budgets.heap must be a size such as "60 MB", got "60 mega"');
    expect(configErrorOf({ budgets: { hep: '60 MB' } })).toBe('importcost.config.json: unknown field budgets.hep');
    expect(configErrorOf({ budgets: { packages: { '@aws-sdk/*': 'big' } } })).toContain('budgets.packages["@aws-sdk/*"] must be a size');
    expect(configErrorOf({ budgets: { loadTime: 'soon' } })).toContain('budgets.loadTime must be a time such as "800 ms"');
    expect(configErrorOf({ budgets: { modules: 1.5 } })).toContain('budgets.modules must be a whole number');
    expect(configErrorOf({ budgets: { forbid: [1] } })).toContain('budgets.forbid must be an array of package names');
    expect(configErrorOf({ until: 'soon' })).toContain('until must be auto, exit, listening, idle');
    expect(configErrorOf({ budgets: { maxIncrease: { heap: 'lots' } } })).toContain('budgets.maxIncrease.heap must be a percentage such as "5%" or an amount such as "2 MB"');
    expect(configErrorOf([])).toContain('expected an object');
    for (const message of [configErrorOf({ budgets: { heap: '60 mega' } }), configErrorOf({ runs: 0 })]) expect(message).not.toContain('\n');
  });
});

describe('loadConfig', () => {
  const budgets = { heap: '10 MB' };
  it('finds importcost.config.json, .js, .mjs and the importcost field of package.json, in that order', async () => {
    expect((await loadConfig(tmp({ 'importcost.config.json': JSON.stringify({ budgets }) })))?.source).toBe('importcost.config.json');
    const cjs = await loadConfig(tmp({ 'package.json': '{"type":"commonjs"}', 'importcost.config.js': `module.exports = { budgets: { heap: '2 MB' } };` }));
    expect(cjs).toMatchObject({ source: 'importcost.config.js', budgets: { heap: 2_000_000 } });
    const esm = await loadConfig(tmp({ 'importcost.config.mjs': `export default { entry: 'a.js', budgets: { modules: 7 } };` }));
    expect(esm).toMatchObject({ source: 'importcost.config.mjs', budgets: { modules: 7 } });
    const pkg = await loadConfig(tmp({ 'package.json': JSON.stringify({ name: 'x', importcost: { budgets } }) }));
    expect(pkg).toMatchObject({ source: 'package.json#importcost', budgets: { heap: 10_000_000 } });
    const both = await loadConfig(tmp({ 'importcost.config.json': JSON.stringify({ budgets: { heap: '1 MB' } }), 'package.json': JSON.stringify({ importcost: { budgets } }) }));
    expect(both?.budgets.heap).toBe(1_000_000);
    expect(await loadConfig(tmp({ 'package.json': '{"name":"x"}' }))).toBeNull();
  });

  it('refuses broken JSON and a module without a default export in one line', async () => {
    await expect(loadConfig(tmp({ 'importcost.config.json': '{ "budgets": { "heap": "1 MB", } }' }))).rejects.toThrow(/^importcost.config.json is not valid JSON/);
    await expect(loadConfig(tmp({ 'importcost.config.mjs': 'export const budgets = {};' }))).rejects.toThrow('importcost.config.mjs has no default export');
  });
});

describe('config errors through the CLI', () => {
  it('in-process: exit 2, one line and a hint, naming the field', async () => {
    const cwd = tmp({ 'importcost.config.json': JSON.stringify({ entry: 'server.js', budgets: { heap: '60 mega' } }) });
    const cli = io(cwd, ['check']);
    expect(await run(cli)).toBe(2);
    const lines = cli.err().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('importcost: importcost.config.json: budgets.heap must be a size such as "60 MB", got "60 mega"');
    expect(lines[1]).toMatch(/^  hint: /);
    expect(cli.out()).toBe('');
  });

  it('in-process: no config at all, and a bad --max-increase, are exit 2', async () => {
    const empty = io(tmp({}), ['check']);
    expect(await run(empty)).toBe(2);
    expect(empty.err()).toMatch(/^importcost: no importcost config in /);
    const bad = io(tmp({}), ['check', '--report', 'x.json', '--max-increase', 'heap=lots']);
    expect(await run(bad)).toBe(2);
    expect(bad.err().split('\n')[0]).toContain('--max-increase heap must be a percentage such as "5%" or an amount such as "2 MB", got "lots"');
  });

  it('the real binary: exit 2 with one line before anything runs', async () => {
    const cwd = tmp({ 'package.json': JSON.stringify({ importcost: { entry: 'server.js', budgets: { forbid: 'typescript', modules: 'many' } } }) });
    const result = await runCli(['check'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'importcost: package.json#importcost: budgets.modules must be a whole number of modules, got "many"',
      expect.stringMatching(/^  hint: /),
    ]);
  });
});
