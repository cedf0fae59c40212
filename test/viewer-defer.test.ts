/**
 * The viewer on what `importcost defer` wrote: a real defer run of the handler fixture, served by the real
 * `importcost view`, read in a real headless chromium. The defer section shows each package's predicted
 * and measured saving with the numbers of the file, its first use and the change; it is there whether the
 * defer.json is named or its report beside it is, and a defer.json alone still shows it.
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../src/analysis/names.js';
import type { DeferFile } from '../src/defer/format.js';
import { fixture, runCli } from './helpers/run.js';
import { artifact, hasChromium, launchBrowser, startView, waitForViewer, type Browser } from './helpers/viewer-browser.js';

let out: string;
let defer: DeferFile;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'importcost-view-defer-'));
  const run = await runCli(['defer', '-q', '-o', out, '--runs', '1', '-p', '@aws-sdk/client-s3', '-p', 'express', fixture('defer', 'handler', 'server.js')], { out });
  expect(run.code, run.stderr).toBe(0);
  defer = JSON.parse(readFileSync(join(out, 'server.defer.json'), 'utf8'));
});

describe.skipIf(!hasChromium)('the defer section in chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Serve `file`, open it, and return the text of each package card by name. */
  async function cards(file: string, shot: string): Promise<Map<string, string>> {
    const view = await startView(['--no-open', file]);
    try {
      await browser.page.goto(view.url);
      await waitForViewer(browser.page);
      await browser.page.screenshot({ path: artifact(shot), fullPage: true });
      const texts = await browser.page.locator('.defer-card').evaluateAll((els) => els.map((e) => [e.getAttribute('data-package'), (e as HTMLElement).innerText]));
      return new Map(texts as [string, string][]);
    } finally {
      expect(await view.stop()).toBe(0);
    }
  }

  it('view of the defer.json: measured against predicted, first use and the change, with the file\'s numbers', async () => {
    const shown = await cards(join(out, 'server.defer.json'), 'view-defer.png');
    expect([...shown.keys()]).toEqual(defer.packages.map((p) => p.name));
    const s3 = defer.packages.find((p) => p.name === '@aws-sdk/client-s3')!;
    const text = shown.get('@aws-sdk/client-s3')!;
    expect(text).toContain('still starts');
    expect(text).toContain(formatBytes(s3.predicted.bytes));
    expect(text).toContain(formatBytes(s3.measured!.bytes));
    expect(text).toMatch(/First use: after start-up at test\/fixtures\/defer\/handler\/server\.js:9:14 \(new S3Client\)/);
    expect(text).toContain("- const { S3Client } = require('@aws-sdk/client-s3');");
    expect(text).toContain("+ const loadClientS3 = () => require('@aws-sdk/client-s3'); // loads at the first call");
    expect(shown.get('express')).toMatch(/First use: during start-up at test\/fixtures\/defer\/handler\/server\.js:7:13 \(express\(\)\)/);
    // The report written beside it is shown below it: the summary's totals are there.
    expect(await browser.page.locator('[data-total="heapBytes"]').count()).toBe(1);
    expect(browser.errors).toEqual([]);
  });

  it('view of the report beside it shows the same section', async () => {
    const shown = await cards(join(out, 'server.importcost.json'), 'view-defer-beside-report.png');
    expect([...shown.keys()]).toEqual(defer.packages.map((p) => p.name));
  });

  it('a defer.json alone shows its section and says the report is not beside it', async () => {
    const alone = mkdtempSync(join(tmpdir(), 'importcost-view-defer-alone-'));
    copyFileSync(join(out, 'server.defer.json'), join(alone, 'server.defer.json'));
    const shown = await cards(join(alone, 'server.defer.json'), 'view-defer-alone.png');
    expect(shown.size).toBe(defer.packages.length);
    expect(await browser.page.locator('#summary').innerText()).toMatch(/The profile report this defer file names \(server\.importcost\.json\) is not beside it/);
    expect(await browser.page.locator('[data-total="heapBytes"]').count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });
});
