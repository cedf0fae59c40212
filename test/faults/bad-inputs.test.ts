/**
 * Faults: bad reports, speedscope files and configs given to `view`, `export`, `check`, `diff` and the
 * Vitest matchers. Every bad input is refused with one line and a hint (exit 2), never a stack trace;
 * an input that is still a report is read, and every reader of reports runs on it without throwing.
 *
 * Fuzzed in-process, where the readers are pure (parseReport, parseViewerInput, validateConfig), with
 * inputs generated from real files by a seeded generator (the same cases every run; a failure names its
 * seed and case); then a handful of each kind through the real CLI, and the matchers.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffReports } from '../../src/analysis/diff-reports.js';
import { offenderOf } from '../../src/analysis/offender.js';
import { deferCandidates, deferralSavings, summarizePackages } from '../../src/analysis/rollup.js';
import { validateConfig } from '../../src/budgets/config.js';
import { evaluateBudgets } from '../../src/budgets/evaluate-budgets.js';
import { isImportcostError } from '../../src/errors.js';
import { exportCollapsed } from '../../src/exporters/collapsed.js';
import { exportSpeedscope } from '../../src/exporters/speedscope.js';
import type { Report } from '../../src/report/format.js';
import { parseReport } from '../../src/report/read-report.js';
import { formatCheck } from '../../src/reporters/check.js';
import { formatDiffMarkdown, formatDiffText } from '../../src/reporters/diff.js';
import { parseViewerInput } from '../../src/viewer/load-input.js';
import { renderViewerPage } from '../../src/viewer/render-page.js';
import { buildRoutes } from '../../src/viewer/serve-viewer.js';
import '../../src/vitest.js';
import { expectOneLineError, faults, seeded, spawnCli } from './helpers.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/** Every place in `value` (not the root itself), depth first. */
function placesIn(value: Json, at: Path = [], out: Path[] = []): Path[] {
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = [...at, Array.isArray(value) ? Number(key) : key];
      out.push(path);
      placesIn(child, path, out);
    }
  }
  return out;
}

const parentOf = (root: Json, path: Path): Record<string | number, Json> =>
  path.slice(0, -1).reduce<Json>((node, key) => (node as Record<string | number, Json>)[key]!, root) as Record<string | number, Json>;

/** Values of every JSON type, odd numbers and strings among them. */
const ODD: Json[] = [null, true, false, 0, -1, 0.5, 2 ** 53 + 2, 1e300, -1e300, '', 'lots', '60 MB', 'a\nb', '\u0000', '日本', [], [1], {}, { a: 1 }, [[[]]]];

/**
 * One bad (or odd) input made from `base` (JSON text of a real file), by a kind of damage picked by
 * `random`: cut, bytes flipped, a field deleted, given another type, a huge or infinite number, the
 * schema changed, the parents made to loop, a deep nesting, the whole wrapped.
 */
function damage(base: string, random: () => number): { kind: string; text: string } {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const kinds = ['cut', 'flip', 'delete', 'retype', 'huge', 'infinite', 'schema', 'parents', 'deep', 'wrap'] as const;
  const kind = pick(kinds);
  if (kind === 'cut') return { kind, text: base.slice(0, Math.floor(random() * (base.length - 1))) };
  if (kind === 'flip') {
    const chars = [...base];
    for (let n = 1 + Math.floor(random() * 4); n > 0; n--) chars[Math.floor(random() * chars.length)] = pick(['"', '{', ']', ',', '9', '-', 'e', ' ', '\\', 'x']);
    return { kind, text: chars.join('') };
  }
  const data = JSON.parse(base) as Json;
  const places = placesIn(data);
  const place = pick(places);
  const parent = parentOf(data, place);
  const key = place[place.length - 1]!;
  switch (kind) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 'retype':
      parent[key] = structuredClone(pick(ODD));
      break;
    case 'huge': {
      const numbers = places.filter((p) => typeof parentOf(data, p)[p[p.length - 1]!] === 'number');
      const at = pick(numbers);
      parentOf(data, at)[at[at.length - 1]!] = pick([1e300, -1e300, 2 ** 60, Number.MAX_VALUE]);
      break;
    }
    case 'infinite': {
      // JSON has no Infinity, but 1e999 parses as it.
      const numbers = places.filter((p) => typeof parentOf(data, p)[p[p.length - 1]!] === 'number');
      const at = pick(numbers);
      parentOf(data, at)[at[at.length - 1]!] = 123456789.25;
      return { kind, text: JSON.stringify(data).replace('123456789.25', pick(['1e999', '-1e999'])) };
    }
    case 'schema':
      (data as Record<string, Json>).schema = pick(['importcost-report@3', 'importcost-report@0', 'importcost-report@1', `importcost-report@${'9'.repeat(500)}`, 'importcost-report@2 ', 'importcost-report', 7]);
      break;
    case 'parents': {
      const modules = (data as { modules?: Json[] }).modules;
      if (Array.isArray(modules) && modules.length > 2) {
        const a = Math.floor(random() * modules.length);
        const b = Math.floor(random() * modules.length);
        (modules[a] as Record<string, Json>).parent = pick([b, a, modules.length, -1, 1.5]);
        (modules[b] as Record<string, Json>).parent = a;
      }
      break;
    }
    case 'deep':
      parent[key] = 7;
      return { kind, text: JSON.stringify(data).replace(/(?<=:)7(?=[,}\]])/, `${'['.repeat(50_000)}${']'.repeat(50_000)}`) };
    case 'wrap':
      return { kind, text: pick([`[${base}]`, `"${base.slice(0, 20)}"`, '42', 'null', '']) };
  }
  return { kind, text: JSON.stringify(data) };
}

/** Every reader of reports the CLI and the viewer run on a report that was read: none may throw. */
function readEverywhere(report: Report): void {
  const rows = summarizePackages(report);
  for (const row of rows) {
    deferralSavings(report, row);
    offenderOf(report, row);
  }
  deferCandidates(report, rows);
  exportSpeedscope(report, 'x');
  exportCollapsed(report);
  const diff = diffReports(report, report);
  formatDiffText(diff, { cwd: '/', top: 5 });
  formatDiffMarkdown(diff, { cwd: '/', top: 5 });
  const checked = evaluateBudgets({
    reports: [report],
    budgets: { heap: 1, loadTime: 1, modules: 1, packages: { '*': 1 }, forbid: ['*'], maxIncrease: { heap: { percent: 0.05 }, packages: { absolute: 1 } } },
    baseline: report,
  });
  for (const format of ['text', 'markdown', 'json'] as const) formatCheck(format, checked, { cwd: '/' });
  const input = parseViewerInput(JSON.stringify(report), 'x.importcost.json');
  renderViewerPage(input, 'served');
}

/** `read` refuses `text` as a known error (one line, a hint, exit 2), or accepts it: which, and the message. */
function outcome<T>(read: () => T): { accepted: T | null; refused: string | null } {
  try {
    return { accepted: read(), refused: null };
  } catch (err) {
    if (!isImportcostError(err)) throw err;
    expect(err.message).not.toMatch(/\n/);
    // One short line: a value is shown cut, whatever its size (the longest measured: about 200 characters).
    expect(err.message.length).toBeLessThan(400);
    expect(err.hint.length).toBeGreaterThan(10);
    expect(err.exitCode).toBe(2);
    return { accepted: null, refused: err.message };
  }
}

let out: string;
let reportText: string;
let speedscopeText: string;

beforeAll(async () => {
  // A real report (express, lodash, the app's files; a process section) and its flamegraph.
  out = mkdtempSync(join(tmpdir(), 'importcost-faults-inputs-'));
  const run = await spawnCli(['profile', '-q', '-o', out, '--name', 'base', faults('apm', 'in-app.js')], { cwd: faults('apm') });
  expect(run.code, run.stderr).toBe(0);
  reportText = readFileSync(join(out, 'base.importcost.json'), 'utf8');
  speedscopeText = readFileSync(join(out, 'base.speedscope.json'), 'utf8');
});

describe('fuzzed in-process', () => {
  it('reports: 400 damaged reports (seed 16), each refused in one line or read by every reader without a throw', () => {
    const random = seeded(16);
    const refusedBy = new Map<string, number>();
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const { kind, text } = damage(reportText, random);
      const result = outcome(() => parseReport(text, 'x.importcost.json'));
      if (result.accepted) {
        accepted++;
        try {
          readEverywhere(result.accepted);
        } catch (err) {
          throw new Error(`case ${i} (${kind}) was read, then a reader threw: ${(err as Error).stack}`);
        }
      } else refusedBy.set(kind, (refusedBy.get(kind) ?? 0) + 1);
    }
    // Every kind of damage that always breaks a report was refused every time it was drawn (cut,
    // infinite, deep, wrap); the others sometimes leave a report (a null where null is allowed, a
    // deleted optional field, @1, which is migrated).
    expect(accepted).toBeLessThan(120);
    for (const kind of ['cut', 'infinite', 'deep', 'wrap', 'huge', 'parents', 'retype', 'delete', 'schema']) expect(refusedBy.get(kind), kind).toBeGreaterThan(5);
  });

  it('speedscope files given to view and export: 200 damaged (seed 1616), each refused in one line or rendered', () => {
    const random = seeded(1616);
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      const { kind, text } = damage(speedscopeText, random);
      const result = outcome(() => parseViewerInput(text, 'x.speedscope.json'));
      if (result.accepted) {
        try {
          renderViewerPage(result.accepted, 'served');
          renderViewerPage(result.accepted, 'inline');
          buildRoutes(result.accepted);
        } catch (err) {
          throw new Error(`case ${i} (${kind}) was read, then rendering threw: ${(err as Error).stack}`);
        }
      } else refused++;
    }
    expect(refused).toBeGreaterThan(120);
  });

  it('configs: 400 damaged importcost.config.json (seed 161616), each refused in one line or valid', () => {
    const random = seeded(161616);
    const base = JSON.stringify({
      entry: 'src/server.js',
      args: ['--port', '0'],
      until: 'listening',
      runs: 3,
      budgets: { heap: '60 MB', loadTime: '800 ms', modules: 1500, packages: { '@aws-sdk/*': '8 MB', '*': '10 MB' }, forbid: ['typescript'], maxIncrease: { heap: '2 MB', loadTime: '10%' } },
    });
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      const { text } = damage(base, random);
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        continue; // loadConfig's JSON error: checked through the CLI below
      }
      const result = outcome(() => validateConfig(data, '/app', 'importcost.config.json'));
      if (result.refused) refused++;
      else {
        // What is accepted is numbers a budget can hold.
        const budgets = result.accepted!.budgets;
        for (const value of [budgets.heap, budgets.loadTime, budgets.modules, ...Object.values(budgets.packages ?? {})]) {
          if (value !== undefined) expect(Number.isFinite(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER).toBe(true);
        }
        if (result.accepted!.runs !== undefined) expect(result.accepted!.runs).toBeLessThanOrEqual(100);
      }
    }
    expect(refused).toBeGreaterThan(150);
  });
});

describe('named cases, in-process', () => {
  const good = (): Record<string, unknown> => JSON.parse(reportText);
  const cases: [string, (r: Record<string, unknown> & { modules: Record<string, unknown>[]; totals: Record<string, unknown> }) => unknown, RegExp][] = [
    ['a wrong type', (r) => (r.modules[3]!.selfBytes = '12 kB'), /modules\[3\]\.selfBytes must be a finite number no larger than 2\^53, got "12 kB"/],
    ['a huge number', (r) => (r.totals.heapBytes = 1e300), /totals\.heapBytes must be a finite number no larger than 2\^53, got 1e\+300/],
    ['a module id out of place', (r) => (r.modules[2]!.id = 7), /modules\[2\]\.id must be a whole number from 2 to 2, got 7/],
    ['a parent that is not a module', (r) => (r.modules[2]!.parent = 100_000), /modules\[2\]\.parent must be a whole number from 0 to \d+, got 100000/],
    ['parents in a cycle', (r) => ((r.modules[1]!.parent = 2), (r.modules[2]!.parent = 1)), /parents form a cycle/],
    ['an import that is not a module', (r) => (r.modules[0]!.imports = [1, -4]), /modules\[0\]\.imports\[1\] must be a whole number from 0/],
    ['a missing section', (r) => delete r.sampling, /sampling is missing \(an object\)/],
    ['a newer schema', (r) => (r.schema = 'importcost-report@3'), /was written by a newer importcost \(schema importcost-report@3\)/],
    ['schema @0', (r) => (r.schema = 'importcost-report@0'), /has an unknown schema \(importcost-report@0\)/],
  ];
  for (const [what, change, message] of cases) {
    it(`refuses ${what}`, () => {
      const report = good() as Parameters<(typeof cases)[number][1]>[0];
      change(report);
      expect(outcome(() => parseReport(JSON.stringify(report), 'x.json')).refused).toMatch(message);
    });
  }
  it('refuses a speedscope file where a report is expected, and says what it is', () => {
    expect(outcome(() => parseReport(speedscopeText, 'x.speedscope.json')).refused).toBe('x.speedscope.json is not an importcost report (it is a speedscope file)');
  });
});

describe('through the real CLI: one line, a hint, exit 2', () => {
  let dir: string;
  const files: Record<string, string> = {};
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'importcost-faults-cli-'));
    const report = JSON.parse(reportText);
    const variants: Record<string, string> = {
      'truncated.importcost.json': reportText.slice(0, reportText.length / 2),
      'wrong-type.importcost.json': JSON.stringify({ ...report, modules: report.modules.map((m: object, i: number) => (i === 1 ? { ...m, path: 42 } : m)) }),
      'huge.importcost.json': reportText.replace(/"heapBytes": \d+/, '"heapBytes": 1e999'),
      'newer.importcost.json': JSON.stringify({ ...report, schema: 'importcost-report@3' }),
      'deep.importcost.json': JSON.stringify({ ...report, extra: 7 }).replace('"extra":7', `"extra":${'['.repeat(100_000)}${']'.repeat(100_000)}`),
      'binary.importcost.json': '\u0000\u0001\u00ff garbage',
      'good.importcost.json': reportText,
      'base.speedscope.json': speedscopeText,
      'broken.speedscope.json': speedscopeText.replace('"samples":[[', '"samples":[[99999,'),
    };
    for (const [name, text] of Object.entries(variants)) writeFileSync((files[name] = join(dir, name)), text);
    mkdirSync((files['a-folder.importcost.json'] = join(dir, 'a-folder.importcost.json')));
    writeFileSync(join(dir, 'importcost.config.json'), JSON.stringify({ budgets: { heap: '100 MB' } }));
  });

  const bad: [string, RegExp][] = [
    ['truncated.importcost.json', /is not valid JSON \(truncated\?\)/],
    ['wrong-type.importcost.json', /modules\[1\]\.path must be a string, got 42/],
    ['huge.importcost.json', /totals\.heapBytes must be a finite number no larger than 2\^53, got Infinity/],
    ['newer.importcost.json', /newer importcost \(schema importcost-report@3\)/],
    ['deep.importcost.json', /nested at most 64 levels deep/],
    ['binary.importcost.json', /is not valid JSON/],
    ['a-folder.importcost.json', /cannot read .* \(EISDIR\)/],
  ];
  // Each command, each bad input, four at a time (about 0.3 s a run).
  it('view, export --html, check --report and diff refuse each bad report; check and diff refuse a speedscope file too', async () => {
    const commands = (file: string): [string, string[]][] => [
      ['view', ['view', '--no-open', file]],
      ['export', ['export', '--html', join(dir, 'x.html'), file]],
      ['check', ['check', '--report', file]],
      ['diff', ['diff', files['good.importcost.json']!, file]],
    ];
    const jobs: [string, RegExp, string[]][] = [];
    for (const [name, message] of bad) for (const [command, args] of commands(files[name]!)) jobs.push([`${command} ${name}`, message, args]);
    for (const [command, args] of commands(files['base.speedscope.json']!).slice(2)) jobs.push([`${command} a speedscope file`, /is not an importcost report \(it is a speedscope file\)/, args]);
    for (const [command, args] of commands(files['broken.speedscope.json']!).slice(0, 2)) jobs.push([`${command} a broken speedscope file`, /profiles\[0\]\.samples\[0\]\[0\] must be a frame index/, args]);
    for (let i = 0; i < jobs.length; i += 4) {
      await Promise.all(
        jobs.slice(i, i + 4).map(async ([what, message, args]) => {
          const run = await spawnCli(args, { cwd: dir });
          expect(run.stdout, what).toBe('');
          expectOneLineError(run, message);
        }),
      );
    }
  });

  it('check refuses each bad config file', async () => {
    const configs: [string, string, RegExp][] = [
      ['importcost.config.json', '{ "budgets": { "heap": "60 MB", ', /importcost\.config\.json is not valid JSON/],
      ['importcost.config.json', JSON.stringify({ budgets: { heap: { mb: 60 } } }), /budgets\.heap must be a size such as "60 MB", got \{"mb":60\}/],
      ['importcost.config.json', '{ "budgets": { "heap": 1e999 } }', /budgets\.heap must be a size such as "60 MB", got null/],
      ['importcost.config.json', JSON.stringify({ runs: 1e300, budgets: { heap: '1 MB' } }), /runs must be a whole number from 1 to 100, got 1e\+300/],
      ['importcost.config.json', `{ "budgets": { "packages": { "x": ${'['.repeat(100_000)}${']'.repeat(100_000)} } } }`, /budgets\.packages\["x"\] must be a size such as "60 MB", got an array/],
      ['importcost.config.json', JSON.stringify({ budgets: { 'heap\nx': '1 MB' } }), /unknown field budgets\."heap\\nx"/],
      ['importcost.config.mjs', 'throw 42;', /importcost\.config\.mjs failed to load: 42/],
      ['importcost.config.mjs', 'export default { get budgets() { throw new Error("no budgets today"); } };', /importcost\.config\.mjs failed to load: no budgets today/],
    ];
    await Promise.all(
      configs.map(async ([name, text, message]) => {
        const cwd = mkdtempSync(join(tmpdir(), 'importcost-faults-config-'));
        writeFileSync(join(cwd, name), text);
        const run = await spawnCli(['check', '--report', files['good.importcost.json']!], { cwd });
        expectOneLineError(run, message);
      }),
    );
  });
});

describe('the Vitest matchers', () => {
  // Refused before anything runs; were a budget let through, this entry would profile in a second.
  const entry = faults('chdir', 'sub', 'keeps.js');
  const cases: [string, Parameters<typeof expect>[0], RegExp][] = [
    ['a size that is an object', { heap: {} }, /budgets\.heap must be a size such as "60 MB", got \{\}/],
    ['an infinite time', { loadTime: Infinity }, /budgets\.loadTime must be a time such as "800 ms", got null/],
    ['a huge module count', { modules: 1e300 }, /budgets\.modules must be a whole number of modules, got 1e\+300/],
    ['packages as a list', { packages: ['lodash'] }, /budgets\.packages must map package names to sizes/],
  ];
  for (const [what, budgets, message] of cases) {
    it(`toStartWithin refuses ${what} in one line, before profiling`, async () => {
      let error: unknown;
      try {
        await expect(entry).toStartWithin(budgets as never);
      } catch (err) {
        error = err;
      }
      expect(isImportcostError(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toMatch(/\n/);
    });
  }
  it('toLoadAtStartup refuses runs beyond 100', async () => {
    await expect(expect(entry).toLoadAtStartup('lodash', { runs: 1e9 })).rejects.toThrow(/runs must be a whole number from 1 to 100, got 1000000000/);
  });
});
