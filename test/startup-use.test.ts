/**
 * profile's defer candidates marked by whether start-up used them: V8's best-effort coverage read by the
 * agent at the stop point (Node 22+). Real runs of the defer fixtures, whose use is known by construction:
 * @aws-sdk/client-s3 used only in a request handler (not used at start-up) or constructed at start-up.
 */
import { describe, expect, it } from 'vitest';
import { startupUseOf, summarizePackages } from '../src/analysis/rollup.js';
import type { Report } from '../src/report/format.js';
import { fixture, NODE22, NODE26, runCli } from './helpers/run.js';

const useOf = (report: Report, name: string) => startupUseOf(report, summarizePackages(report).find((p) => p.name === name)!);

describe.each([
  ['22', NODE22],
  ['26', NODE26],
])('Node %s', (_, node) => {
  it('a package used only in a request handler is marked not used at start-up; one called at start-up names what ran', async () => {
    const run = await runCli(['profile', '--node', node, fixture('defer', 'handler', 'server.js')]);
    expect(run.code, run.stderr).toBe(0);
    expect(useOf(run.report!, '@aws-sdk/client-s3')).toEqual({ state: 'not-used', called: [] });
    expect(useOf(run.report!, 'express')).toEqual({ state: 'used', called: ['createApplication'] });
    expect(run.stderr).toMatch(/@aws-sdk\/client-s3@\S+ +[\d.]+ MB .*server\.js:5:30; not used at start-up\n/);
    expect(run.stderr).toMatch(/express@\S+ +[\d.]+ MB .*server\.js:4:25; start-up ran createApplication\n/);
  });

  it('a class constructed at start-up is used', async () => {
    const run = await runCli(['profile', '--node', node, fixture('defer', 'startup', 'server.js')]);
    expect(run.code, run.stderr).toBe(0);
    expect(useOf(run.report!, '@aws-sdk/client-s3')).toEqual({ state: 'used', called: ['S3Client'] });
  });
});

it('Node 20: not marked (its coverage reports a function called once as not run)', async () => {
  const run = await runCli(['profile', fixture('defer', 'handler', 'server.js')]);
  expect(run.code, run.stderr).toBe(0);
  expect(run.report!.startupUse).toBeUndefined();
  expect(run.stderr).not.toMatch(/not used at start-up|start-up ran/);
});

it('--no-startup-use leaves it out (Node 22)', async () => {
  const run = await runCli(['profile', '--no-startup-use', '--node', NODE22, fixture('defer', 'handler', 'server.js')]);
  expect(run.code, run.stderr).toBe(0);
  expect(run.report!.startupUse).toBeUndefined();
});
