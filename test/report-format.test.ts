/**
 * The report and flamegraph files: valid against their schemas, totals that add up exactly, a reader
 * that refuses what is not ours, and golden round trips on a committed recording.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it, beforeAll } from 'vitest';
import { buildReport } from '../src/analysis/build-report.js';
import { exportCollapsed } from '../src/exporters/collapsed.js';
import { exportSpeedscope } from '../src/exporters/speedscope.js';
import { gatherFileFacts } from '../src/profile/file-facts.js';
import type { Recording } from '../src/recording/format.js';
import type { Report } from '../src/report/format.js';
import { parseReport } from '../src/report/read-report.js';
import { fixture, moduleNamed, ROOT, runCli, type CliRun } from './helpers/run.js';

const reportSchema = JSON.parse(readFileSync(join(ROOT, 'schema', 'importcost-report.schema.json'), 'utf8'));
const speedscopeSchema = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'speedscope', 'dist', 'release', 'file-format-schema.json'), 'utf8'));

function validate(schema: object, data: unknown, ref?: string): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addSchema(schema, 'root');
  const check = ajv.getSchema(ref ? `root${ref}` : 'root')!;
  return check(data) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

function checkTotals(report: Report): void {
  const selfSum = report.modules.reduce((sum, m) => sum + m.selfBytes, 0);
  expect(report.totals.attributedBytes).toBe(selfSum);
  expect(report.totals.attributedBytes + report.totals.unattributedBytes).toBe(report.totals.heapBytes);
  expect(report.buckets.reduce((sum, b) => sum + b.bytes, 0)).toBe(report.totals.unattributedBytes);
  for (const m of report.modules) {
    const children = report.modules.filter((c) => c.parent === m.id);
    expect(m.totalBytes).toBe(m.selfBytes + children.reduce((sum, c) => sum + c.totalBytes, 0));
    // Each ms figure is rounded to the microsecond on its own, so a sum over n children may differ from the
    // rounded total by up to 0.5 µs per term, its own included (one differed by 5.0 µs in a CI run).
    expect(Math.abs(m.totalMs - (m.selfMs + children.reduce((sum, c) => sum + c.totalMs, 0)))).toBeLessThanOrEqual(0.0005 * (children.length + 2) + 1e-9);
  }
}

describe('files written by a real run', () => {
  let run: CliRun;
  beforeAll(async () => {
    run = await runCli(['profile', fixture('real-deps', 'app.cjs')]);
  });

  it('the report validates against schema/importcost-report.schema.json', () => {
    expect(run.code).toBe(0);
    expect(validate(reportSchema, run.report)).toEqual([]);
    expect(run.report!.schema).toBe('importcost-report@2');
  });

  it('the flamegraph validates against speedscope\'s own file-format schema', () => {
    expect(validate(speedscopeSchema, run.speedscope, '#/definitions/FileFormat.File')).toEqual([]);
    const [heap, time, timeline] = run.speedscope!.profiles;
    expect([heap!.type, heap!.unit, time!.unit, timeline!.type]).toEqual(['sampled', 'bytes', 'milliseconds', 'evented']);
    const names = run.speedscope!.shared.frames.map((f) => f.name);
    expect(names).toContain('express@5.3.0');
    expect(names).toContain('./test/fixtures/real-deps/app.cjs');
    expect(names.some((n) => /^express@5\.3\.0\/lib\//.test(n))).toBe(true);
    expect(names.some((n) => n.startsWith('node:internal'))).toBe(false);
    // Only the file through which a package is first entered gets the bare name: no two frames alike.
    const moduleNames = run.report!.modules.map((m) => m.name);
    expect(new Set(moduleNames).size).toBe(moduleNames.length);
    // Every module with bytes appears once in the heap profile, under its chain.
    expect(heap!.type === 'sampled' && heap.weights.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(run.report!.totals.attributedBytes);
  });

  it('totals add up exactly: heap = attributed + buckets; inclusive = self + children', () => {
    checkTotals(run.report!);
  });

  it('the committed JSON Schema is the one the types generate', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'importcost-schema-')), 'schema.json');
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'ts-json-schema-generator', 'bin', 'ts-json-schema-generator.js'), '--path', join(ROOT, 'src', 'report', 'format.ts'), '--type', 'Report', '--tsconfig', join(ROOT, 'tsconfig.json'), '--no-type-check', '-o', out]);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(reportSchema);
  });
});

describe('reading reports', () => {
  const good = JSON.stringify({ schema: 'importcost-report@2', totals: {}, modules: [] });
  it.each([
    ['truncated JSON', good.slice(0, 20), /is not valid JSON \(truncated\?\)/],
    ['not ours', JSON.stringify({ $schema: 'https://www.speedscope.app/file-format-schema.json' }), /is not an importcost report/],
    ['a newer schema', JSON.stringify({ schema: 'importcost-report@3', totals: {}, modules: [] }), /written by a newer importcost \(schema importcost-report@3\)/],
    ['missing fields', JSON.stringify({ schema: 'importcost-report@2' }), /is not a whole importcost report: importcost is missing \(a string\)/],
  ])('refuses %s with one line and a hint', (_, text, message) => {
    let error: { message: string; hint: string; exitCode: number } | undefined;
    try {
      parseReport(text, 'x.json');
    } catch (err) {
      error = err as typeof error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
    expect(error?.hint.length).toBeGreaterThan(5);
    expect(error?.exitCode).toBe(2);
  });
});

describe('reading an @1 report', () => {
  it('migrates it to @2: the one process, read at the end of start-up', () => {
    // As the first importcost wrote it (f70a803): no process, no sampling mode, exactness or unsampled bytes.
    const v1 = {
      schema: 'importcost-report@1',
      importcost: '0.1.0',
      node: 'v20.20.2',
      command: ['server.js'],
      cwd: '/app',
      createdAt: '2026-01-01T00:00:00.000Z',
      stop: { reason: 'listening', exitCode: null, error: null, signal: 'SIGTERM' },
      totals: { heapBytes: 5, attributedBytes: 0, unattributedBytes: 5, baselineBytes: 5, wallMs: 12, modules: 0, packages: 0 },
      sampling: { sampler: 'inspector', intervalBytes: 32771, samples: 0, sampledBytes: 0 },
      buckets: [{ name: 'baseline', bytes: 5, description: 'the runtime' }],
      modules: [],
    };
    const report = parseReport(JSON.stringify(v1), 'old.json');
    expect(report.schema).toBe('importcost-report@2');
    expect(report.totals).toMatchObject({ heapBytes: 5, heap: 'end-of-startup', heapAtMs: 12 });
    expect(report.sampling).toMatchObject({ mode: 'deterministic', unsampledBytes: 0, exact: false });
    expect(report.process).toMatchObject({ role: 'main', label: 'main', argv: ['server.js'], threadId: 0 });
  });
});

describe('golden: a committed recording of test/fixtures/known/cjs', () => {
  // Captured with `IMPORTCOST_KEEP_RECORDING=... importcost profile --sample-interval 8209
  // test/fixtures/known/cjs/entry.js`, the checkout's path replaced by <root>.
  const text = readFileSync(fixture('golden', 'known-cjs.recording.json'), 'utf8').split('<root>').join(ROOT);
  const recording = JSON.parse(text) as Recording;
  const report = buildReport(recording, gatherFileFacts, { importcost: '0.0.0-test', command: ['entry.js'] });

  it('builds the tree the collapsed snapshot shows', () => {
    expect(exportCollapsed(report)).toBe(readFileSync(fixture('golden', 'known-cjs.collapsed.txt'), 'utf8'));
    checkTotals(report);
  });

  it('report -> JSON -> reader gives the same report', () => {
    expect(parseReport(JSON.stringify(report), 'golden')).toEqual(report);
  });

  it('speedscope export keeps every byte and chain of the report', () => {
    const file = exportSpeedscope(report, 'golden');
    const heap = file.profiles[0]!;
    if (heap.type !== 'sampled') throw new Error('expected a sampled profile');
    // Re-import the heap profile: a stack of frame indexes -> a chain of names, weight -> bytes.
    const byChain = new Map(heap.samples.map((stack, i) => [stack.map((f) => file.shared.frames[f]!.name).join(';'), heap.weights[i]!]));
    for (const line of exportCollapsed(report).trim().split('\n')) {
      const [chain, bytes] = line.split(' ');
      if (Number(bytes) > 0) expect(byChain.get(chain!)).toBe(Number(bytes));
    }
  });

  it('the report is frozen', () => {
    expect(Object.isFrozen(report)).toBe(true);
    expect(Object.isFrozen(report.modules[0])).toBe(true);
  });
});

describe('packages are named right in every layout', () => {
  it('scoped, pnpm-style symlinked, workspace, nested package.json with only "type"', async () => {
    const app = mkdtempSync(join(tmpdir(), 'importcost-layout-'));
    const write = (file: string, text: string) => {
      mkdirSync(join(app, file, '..'), { recursive: true });
      writeFileSync(join(app, file), text);
    };
    write('package.json', JSON.stringify({ name: 'layout-app', version: '1.0.0', type: 'commonjs' }));
    write('index.js', "require('@scope/thing'); require('flat'); require('ws-lib');\n");
    write('node_modules/@scope/thing/package.json', JSON.stringify({ name: '@scope/thing', version: '2.1.0' }));
    write('node_modules/@scope/thing/index.js', "require('./lib/inner');\n");
    write('node_modules/@scope/thing/lib/package.json', JSON.stringify({ type: 'commonjs' }));
    write('node_modules/@scope/thing/lib/inner.js', 'module.exports = 1;\n');
    write('node_modules/.pnpm/flat@3.4.5/node_modules/flat/package.json', JSON.stringify({ name: 'flat', version: '3.4.5' }));
    write('node_modules/.pnpm/flat@3.4.5/node_modules/flat/index.js', 'module.exports = 2;\n');
    symlinkSync(join(app, 'node_modules/.pnpm/flat@3.4.5/node_modules/flat'), join(app, 'node_modules/flat'));
    write('packages/ws-lib/package.json', JSON.stringify({ name: 'ws-lib', version: '0.3.0' }));
    write('packages/ws-lib/index.js', 'module.exports = 3;\n');
    symlinkSync(join(app, 'packages/ws-lib'), join(app, 'node_modules/ws-lib'));
    const result = await runCli(['profile', join(app, 'index.js')], { cwd: app });
    expect(result.code, result.stderr).toBe(0);
    const report = result.report!;
    expect(moduleNamed(report, '/@scope/thing/index.js')).toMatchObject({ package: { name: '@scope/thing', version: '2.1.0' }, name: '@scope/thing@2.1.0', thirdParty: true });
    expect(moduleNamed(report, '/lib/inner.js')).toMatchObject({ package: { name: '@scope/thing' }, name: '@scope/thing@2.1.0/lib/inner.js' });
    expect(moduleNamed(report, '/flat/index.js')).toMatchObject({ package: { name: 'flat', version: '3.4.5' }, name: 'flat@3.4.5' });
    expect(moduleNamed(report, '/packages/ws-lib/index.js')).toMatchObject({ package: { name: 'ws-lib', version: '0.3.0' }, name: './packages/ws-lib/index.js', thirdParty: false });
    expect(moduleNamed(report, '/index.js').package).toEqual({ name: 'layout-app', version: '1.0.0' });
  });
});
