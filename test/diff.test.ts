/**
 * `importcost diff`: pure diff of hand-built reports, then the real CLI on two real reports (an example
 * app, and a copy whose entry gains the S3 client).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffReports } from '../src/analysis/diff-reports.js';
import { diff } from '../src/index.js';
import { run, type Io } from '../src/cli/main.js';
import { syntheticReport, type ModuleSpec } from './helpers/synthetic-report.js';
import { copyExample } from './helpers/example-copy.js';
import { runCli } from './helpers/run.js';

const BASE: ModuleSpec[] = [
  { name: './server.js', bytes: 100_000 },
  { name: 'express', parent: 0, line: 3, bytes: 2_000_000, version: '5.1.0' },
  { name: 'lodash', parent: 0, line: 4, bytes: 1_400_000 },
  { name: 'typescript', parent: 0, line: 5, bytes: 9_000_000 },
  { name: 'ms', parent: 1, line: 2, bytes: 20_000 },
];
const HEAD: ModuleSpec[] = [
  { name: './server.js', bytes: 100_000 },
  { name: 'express', parent: 0, line: 3, bytes: 2_300_000, version: '5.3.0' },
  { name: 'lodash', parent: 0, line: 4, bytes: 1_000_000 },
  { name: 'ms', parent: 1, line: 2, bytes: 25_000 },
  { name: './src/storage.js', parent: 0, line: 6, bytes: 10_000 },
  { name: '@aws-sdk/client-s3', parent: 4, line: 2, bytes: 3_000_000 },
  { name: '@smithy/core', parent: 5, line: 7, bytes: 1_000_000 },
];

describe('diffReports (pure)', () => {
  const result = diffReports(syntheticReport(BASE), syntheticReport(HEAD));

  it('sorts every change by bytes, and leaves moves under 10 kB out as unchanged', () => {
    expect(result.packages.map((c) => [c.name, c.status, c.deltaBytes])).toEqual([
      ['typescript', 'removed', -9_000_000],
      ['@aws-sdk/client-s3', 'added', 4_000_000],
      ['@smithy/core', 'added', 1_000_000],
      ['lodash', 'shrank', -400_000],
      ['express', 'grew', 305_000],
    ]);
    expect(result.unchanged).toBe(1); // ms: +5 kB
  });

  it('gives a new package the chain and app line that bring it in, and what brought in its dependencies', () => {
    const s3 = result.packages.find((c) => c.name === '@aws-sdk/client-s3')!;
    expect(s3.chain).toEqual(['./server.js', './src/storage.js', '@aws-sdk/client-s3@1.0.0']);
    expect(s3.site).toMatchObject({ file: '/app/src/storage.js', line: 2 });
    expect(s3.broughtBy).toBeNull();
    expect(result.packages.find((c) => c.name === '@smithy/core')!.broughtBy).toBe('@aws-sdk/client-s3');
    expect(result.packages.find((c) => c.name === 'express')).toMatchObject({ baseVersions: ['5.1.0'], headVersions: ['5.3.0'] });
  });

  it('reports the start-up totals before and after', () => {
    expect(result.base.modules).toBe(5);
    expect(result.head.modules).toBe(7);
    expect(result.head.heap - result.base.heap).toBe(7_435_000 - 12_520_000);
  });
});

function io(cwd: string, argv: string[]): Io & { out: () => string } {
  let out = '';
  return { argv, cwd, env: { NO_COLOR: '1' }, stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, out: () => out };
}

describe('importcost diff on real reports', () => {
  let base: string;
  let head: string;
  let headDir: string;

  beforeAll(async () => {
    const baseDir = copyExample('budgets-pass');
    headDir = copyExample('budgets-pass');
    writeFileSync(join(headDir, 'src', 'storage.js'), "const { S3Client } = require('@aws-sdk/client-s3');\nmodule.exports = { S3Client };\n");
    const server = readFileSync(join(headDir, 'server.js'), 'utf8').replace("require('./src/users');", "require('./src/users');\nrequire('./src/storage');");
    writeFileSync(join(headDir, 'server.js'), server);
    const [b, h] = [await runCli(['profile', 'server.js'], { cwd: baseDir }), await runCli(['profile', 'server.js'], { cwd: headDir })];
    base = join(b.out, 'run.importcost.json');
    head = join(h.out, 'run.importcost.json');
  });

  it('--json: the S3 client is newly loaded, through src/storage.js, and is the largest change', async () => {
    const result = await runCli(['diff', base, head, '--json']);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout);
    expect(parsed.packages[0]).toMatchObject({
      name: '@aws-sdk/client-s3',
      status: 'added',
      broughtBy: null,
      site: { file: join(headDir, 'src', 'storage.js'), line: 1, column: 30 },
    });
    expect(parsed.packages[0].chain).toEqual(['./server.js', './src/storage.js', expect.stringMatching(/^@aws-sdk\/client-s3@3\./)]);
    // Shared/NOTES.md measured client-s3 at 4.2-4.4 MB loaded alone; inside this app some of it is shared.
    expect(parsed.packages[0].deltaBytes).toBeGreaterThan(2_500_000);
    expect(parsed.packages.filter((c: { status: string; broughtBy: string | null }) => c.status === 'added' && c.broughtBy === null)).toHaveLength(1);
    expect(parsed).toEqual(JSON.parse(JSON.stringify(diff(base, head))));
  });

  it('text: totals, then the new package with its chain and line, its dependencies counted under it', async () => {
    const cli = io(headDir, ['diff', base, head]);
    expect(await run(cli)).toBe(0);
    const out = cli.out();
    expect(out).toMatch(/^importcost diff\n {2}heap +\d+\.\d+ MB -> +\d+\.\d+ MB {2}\+\d+\.\d+ MB \(\+\d+\.\d%\)\n/);
    expect(out).toMatch(/Newly loaded at start-up \(1\)\n {2}\+ @aws-sdk\/client-s3@3\.\S+ +\+\d+\.\d+ MB .*\(and \d+ packages it brings in\)\n {6}via \.\/server\.js > \.\/src\/storage\.js > @aws-sdk\/client-s3@\S+\n {6}at {2}src\/storage\.js:1:30\n/);
    expect(out).toMatch(/\d+ packages unchanged\n$/);
  });

  it('refuses a file that is not a report, in one line (exit 2)', async () => {
    const result = await runCli(['diff', base, join(headDir, 'package.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^importcost: .*package\.json is not an importcost report\n {2}hint: /);
  });
});
