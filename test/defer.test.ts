/**
 * `importcost defer`, end to end: the real CLI runs real servers (express, @aws-sdk/client-s3, got,
 * execa from the repository's pinned node_modules) as they are and with a package's imports deferred,
 * and the savings it measures are checked against the GC-delta ground truth computed in fresh processes.
 * Every server listens on 127.0.0.1 only; every run is bounded by the CLI's own timeout and watchdog.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeferFile, DeferPackage } from '../src/defer/format.js';
import { parseDeferFile } from '../src/defer/read-defer.js';
import { fixture, groundTruthRuns, median, NODE22, NODE26, ROOT, runCli, type CliRun } from './helpers/run.js';

const execFileAsync = promisify(execFile);
const MB = 1e6;
const deferSchema = JSON.parse(readFileSync(join(ROOT, 'schema', 'importcost-defer.schema.json'), 'utf8'));

interface DeferRun extends CliRun {
  defer: DeferFile | null;
}

/** `importcost defer -o <tmp> <args>`; reads `<tmp>/<name>.defer.json` when it was written. */
async function runDefer(args: string[], name: string): Promise<DeferRun> {
  const out = mkdtempSync(join(tmpdir(), 'importcost-defer-test-'));
  const run = await runCli(['defer', '-o', out, ...args], { out });
  let defer: DeferFile | null = null;
  try {
    defer = parseDeferFile(readFileSync(join(out, `${name}.defer.json`), 'utf8'), name);
  } catch {
    defer = null;
  }
  return { ...run, defer };
}

const pkg = (run: DeferRun, name: string): DeferPackage => {
  const found = run.defer?.packages.find((p) => p.name === name);
  if (!found) throw new Error(`no ${name} in ${run.out}; stderr: ${run.stderr}`);
  return found;
};

function validate(data: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const check = ajv.compile(deferSchema);
  return check(data) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** The tolerance for a measured saving against its ground truth: max(0.3 MB, 20%). */
const tolerance = (truth: number): number => Math.max(0.3 * MB, 0.2 * Math.abs(truth));

describe('a package used only in a request handler (CommonJS, stand-in)', () => {
  let run: DeferRun;
  let truth: number;
  beforeAll(async () => {
    const dir = fixture('defer', 'handler');
    run = await runDefer(['-p', '@aws-sdk/client-s3', join(dir, 'server.js')], 'server');
    // Ground truth: what @aws-sdk/client-s3 retains when loaded after express (the server's order) in a
    // fresh `node --expose-gc --no-flush-bytecode` process: median of 3 (shared/NOTES.md).
    truth = median((await groundTruthRuns(dir, ['cjs:express', 'cjs:@aws-sdk/client-s3']))['cjs:@aws-sdk/client-s3']!);
  });

  it('is deferrable: it still starts and answers, and is first used after start-up, in the handler', () => {
    expect(run.code, run.stderr).toBe(0);
    const p = pkg(run, '@aws-sdk/client-s3');
    expect(p.method).toBe('stand-in');
    expect(p.stillStarts).toBe(true);
    expect(run.defer!.asIs.outcome).toMatchObject({ stopReason: 'listening', exitCode: 0, status: 200 });
    expect(p.outcome).toMatchObject({ stopReason: 'listening', exitCode: 0, status: 200 });
    expect(p.firstUse).toMatchObject({ phase: 'after-startup', site: { file: join(fixture('defer', 'handler'), 'server.js'), line: 9, column: 14 }, how: 'new S3Client' });
  });

  it('the measured saving is within max(0.3 MB, 20%) of its GC-delta ground truth', () => {
    const p = pkg(run, '@aws-sdk/client-s3');
    console.log(`handler: client-s3 measured ${p.measured!.bytes} (${p.measured!.bytesRange.join('..')}) vs ground truth ${truth}, predicted ${p.predicted.bytes}`);
    expect(p.measured!.runs).toBe(3);
    expect(Math.abs(p.measured!.bytes - truth)).toBeLessThanOrEqual(tolerance(truth));
    expect(p.measured!.heapBytes.values).toHaveLength(3);
  });

  it('suggests a lazy accessor at the import line, and prints the table', () => {
    const p = pkg(run, '@aws-sdk/client-s3');
    expect(p.suggestion).toEqual({
      file: join(fixture('defer', 'handler'), 'server.js'),
      line: 5,
      kind: 'lazy-require',
      before: "const { S3Client } = require('@aws-sdk/client-s3');",
      after: "const loadClientS3 = () => require('@aws-sdk/client-s3'); // loads at the first call\n// then S3Client becomes loadClientS3().S3Client",
    });
    expect(run.stderr).toMatch(/@aws-sdk\/client-s3@3\.\d+\.\d+ +[\d.]+ MB +[\d.]+ MB .* yes +after start-up at test\/fixtures\/defer\/handler\/server\.js:9:14 \(new S3Client\)/);
    expect(run.stderr).toContain("    - const { S3Client } = require('@aws-sdk/client-s3');\n    + const loadClientS3 = () => require('@aws-sdk/client-s3');");
  });

  it('writes a defer.json that validates against schema/importcost-defer.schema.json, beside its report', () => {
    expect(validate(run.defer)).toEqual([]);
    expect(run.defer!.schema).toBe('importcost-defer@1');
    const report = JSON.parse(readFileSync(join(run.out, run.defer!.report!.file), 'utf8'));
    expect(report.createdAt).toBe(run.defer!.report!.createdAt);
  });
});

describe('a package constructed at start-up', () => {
  let run: DeferRun;
  beforeAll(async () => {
    run = await runDefer(['--runs', '2', '-p', '@aws-sdk/client-s3', fixture('defer', 'startup', 'server.js')], 'server');
  });

  it('saves about nothing, with its first use at the line that constructs it', () => {
    expect(run.code, run.stderr).toBe(0);
    const p = pkg(run, '@aws-sdk/client-s3');
    console.log(`startup: client-s3 measured ${p.measured!.bytes} (${p.measured!.bytesRange.join('..')}), predicted ${p.predicted.bytes}`);
    // The profile predicts what not loading it at all would save; the program as it is uses it at start-up.
    expect(p.predicted.bytes).toBeGreaterThan(2 * MB);
    // "About nothing": within the 0.3 MB floor (the JIT moves a start-up's heap by up to a few hundred kB).
    expect(Math.abs(p.measured!.bytes)).toBeLessThanOrEqual(0.3 * MB);
    expect(p.stillStarts).toBe(true);
    expect(p.firstUse).toMatchObject({ phase: 'startup', site: { file: fixture('defer', 'startup', 'server.js'), line: 8, column: 12 }, how: 'new S3Client' });
    expect(p.note).toMatch(/^Used during start-up at test\/fixtures\/defer\/startup\/server\.js:8:12 \(new S3Client\): the import's cost stays unless that line moves/);
  });
});

describe('a program that breaks when deferred', () => {
  it('is reported as broken, with its error, and exits 1', async () => {
    const run = await runDefer(['--runs', '1', '-p', '@aws-sdk/client-s3', fixture('defer', 'broken', 'server.js')], 'server');
    expect(run.code, run.stderr).toBe(1);
    const p = pkg(run, '@aws-sdk/client-s3');
    expect(p.stillStarts).toBe(false);
    expect(p.measured).toBeNull();
    expect(p.outcome).toMatchObject({ stopReason: 'crash', exitCode: 1, error: "TypeError: Class constructor S3Client cannot be invoked without 'new'" });
    expect(p.note).toMatch(/^Broke with its imports deferred: TypeError: Class constructor S3Client/);
    expect(run.stderr).toMatch(/@aws-sdk\/client-s3@\S+ .* NO +during start-up at test\/fixtures\/defer\/broken\/server\.js:12:40/);
  });
});

describe('a program whose every check of its imports holds with them deferred', () => {
  it('runs unchanged with lodash, express and @aws-sdk/client-s3 behind stand-ins', async () => {
    const run = await runDefer(['--runs', '1', '-p', 'lodash', '-p', 'express', '-p', '@aws-sdk/client-s3', fixture('defer', 'transparent', 'app.js')], 'app');
    expect(run.code, run.stderr).toBe(0);
    for (const name of ['lodash', 'express', '@aws-sdk/client-s3']) {
      expect(pkg(run, name), name).toMatchObject({ stillStarts: true, outcome: { stopReason: 'exit', exitCode: 0 } });
    }
    // The destructured primitive export (VERSION) is read at its import: that is lodash's first use.
    expect(pkg(run, 'lodash').firstUse).toMatchObject({ phase: 'startup', site: { line: 6 }, how: 'a read of VERSION, a primitive export: no stand-in takes its place' });
    // Each import of the package in the file gets its change.
    expect(pkg(run, 'express').suggestions.map((s) => s.line)).toEqual([7, 8]);
  });
});

describe('ESM', () => {
  const dir = fixture('defer', 'esm');
  /** execa's GC-delta ground truth on `node`: loaded after the server's other imports, median of 3. */
  const execaTruth = async (node: string): Promise<number> =>
    median((await groundTruthRuns(dir, ['esm:node:http', 'esm:got', 'esm:execa'], { node }))['esm:execa']!);
  /** A named import served by a module of stand-ins: measured, first used in the handler (line 10). */
  const expectNamedImportDeferred = (run: DeferRun, truth: number, label: string): void => {
    const execa = pkg(run, 'execa');
    console.log(`esm ${label}: execa measured ${execa.measured!.bytes} (${execa.measured!.bytesRange.join('..')}) vs ground truth ${truth}, predicted ${execa.predicted.bytes}`);
    expect(execa).toMatchObject({ method: 'stand-in', stillStarts: true });
    expect(execa.firstUse).toMatchObject({ phase: 'after-startup', site: { file: join(dir, 'server.mjs'), line: 10, column: 17 }, how: 'parseCommandString()' });
    expect(Math.abs(execa.measured!.bytes - truth)).toBeLessThanOrEqual(tolerance(truth));
    expect(execa.suggestion).toMatchObject({ line: 6, kind: 'dynamic-import', after: expect.stringMatching(/const \{ parseCommandString \} = await import\('execa'\);$/) });
  };

  it('Node 26: a namespace import is deferred in place with import defer, a named import with a module of stand-ins', async () => {
    const run = await runDefer(['-p', 'got', '-p', 'execa', '--node', NODE26, join(dir, 'server.mjs')], 'server');
    // Ground truth for got: the same imports as the server's, got's evaluation deferred or not, in fresh
    // processes with the flag on the command line (both alike): heap after two full GCs, median of 3.
    const heap = async (script: string): Promise<number> => {
      const { stdout } = await execFileAsync(NODE26, ['--expose-gc', '--js-defer-import-eval', join(dir, 'truth', script)]);
      return Number(stdout.split(' ')[0]);
    };
    const truths: number[] = [];
    for (let i = 0; i < 3; i++) truths.push((await heap('eager.mjs')) - (await heap('deferred.mjs')));
    const truth = median(truths.sort((a, b) => a - b));

    expect(run.code, run.stderr).toBe(0);
    const got = pkg(run, 'got');
    console.log(`esm: got measured ${got.measured!.bytes} (${got.measured!.bytesRange.join('..')}) vs ground truth ${truth}, predicted ${got.predicted.bytes}`);
    expect(got.method).toBe('import-defer');
    expect(got.stillStarts).toBe(true);
    expect(got.firstUse).toMatchObject({ phase: 'after-startup', site: { file: join(dir, 'server.mjs'), line: 9 }, how: 'a read of the deferred namespace' });
    expect(Math.abs(got.measured!.bytes - truth)).toBeLessThanOrEqual(tolerance(truth));
    expect(got.suggestion).toMatchObject({ line: 5, kind: 'import-defer', after: expect.stringMatching(/^import defer \* as got from 'got';/) });
    // import defer only defers evaluation: less than the prediction, which is what not loading it saves.
    expect(got.measured!.bytes).toBeLessThan(got.predicted.bytes);
    expectNamedImportDeferred(run, await execaTruth(NODE26), 'node 26');
    expect(validate(run.defer)).toEqual([]);
  });

  it('Node 22: a named import is deferred with a module of stand-ins; a namespace import is not measurable before 26.4', async () => {
    const run = await runDefer(['-p', 'got', '-p', 'execa', '--node', NODE22, join(dir, 'server.mjs')], 'server');
    expect(run.code, run.stderr).toBe(0);
    const got = pkg(run, 'got');
    expect(got).toMatchObject({ method: 'not-measurable', measured: null, stillStarts: null });
    expect(got.note).toMatch(/`import defer` needs Node 26\.4\+/);
    expect(got.suggestion).toMatchObject({ kind: 'dynamic-import', after: expect.stringMatching(/const got = await import\('got'\);$/) });
    expectNamedImportDeferred(run, await execaTruth(NODE22), 'node 22');
  });

  it('Node 20: neither is measurable in place, the prediction only, and no run is made', async () => {
    const run = await runDefer(['-p', 'got', '-p', 'execa', join(dir, 'server.mjs')], 'server');
    expect(run.code, run.stderr).toBe(0);
    expect(pkg(run, 'got')).toMatchObject({ method: 'not-measurable', measured: null, stillStarts: null });
    expect(pkg(run, 'execa').note).toMatch(/^Not measurable in place: test\/fixtures\/defer\/esm\/server\.mjs:6:36 \(import \{ parseCommandString \} from 'execa';\) imports bindings by name, which .* Node 22\.15\+/);
    expect(run.defer!.asIs.runs).toBe(0);
    expect(run.stderr).not.toMatch(/run \d+ of/);
  });
});

describe('bad input', () => {
  it('an unknown package, one not loaded at start-up, one the program does not import itself: a line each, exit 2', async () => {
    const run = await runDefer(['-p', 'no-such-package-xyz', '-p', 'fastify', '-p', 'body-parser', fixture('defer', 'handler', 'server.js')], 'server');
    expect(run.code).toBe(2);
    const lines = run.stderr.trimEnd().split('\n').filter((l) => l.startsWith('importcost: ') && !/profiling|run \d/.test(l));
    expect(lines).toEqual([
      'importcost: unknown package no-such-package-xyz: it is not installed where the program runs (' + ROOT + ')',
      'importcost: fastify is not loaded at start-up: there is nothing to defer',
      'importcost: body-parser is not imported by your own code (express@5.3.0 brings it in): no import or require of it in your files; defer what brings it in instead',
    ]);
    expect(run.stderr).toMatch(/\n {2}hint: name a package your own files import at start-up/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.defer).toBeNull();
  });
});

describe('the defer file format', () => {
  it('the committed JSON Schema is the one the types generate', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'importcost-schema-')), 'schema.json');
    await execFileAsync(process.execPath, [join(ROOT, 'node_modules', 'ts-json-schema-generator', 'bin', 'ts-json-schema-generator.js'), '--path', join(ROOT, 'src', 'defer', 'format.ts'), '--type', 'DeferFile', '--tsconfig', join(ROOT, 'tsconfig.json'), '--no-type-check', '-o', out]);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(deferSchema);
  });

  it.each([
    ['truncated JSON', '{"schema":"importcost-defer@1","packa', /is not valid JSON \(truncated\?\)/],
    ['a report', JSON.stringify({ schema: 'importcost-report@2', modules: [], totals: {} }), /is not an importcost defer file/],
    ['a newer schema', JSON.stringify({ schema: 'importcost-defer@2', packages: [], asIs: {} }), /written by a newer importcost \(schema importcost-defer@2\)/],
    ['no packages', JSON.stringify({ schema: 'importcost-defer@1' }), /missing its packages/],
  ])('refuses %s with one line and a hint', (_, text, message) => {
    expect(() => parseDeferFile(text, 'x.defer.json')).toThrow(message);
  });
});
