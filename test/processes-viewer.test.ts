/**
 * `view` and `export --html` of a run with several processes (a cluster server: its primary and 2
 * workers): the page lets a person pick the process, and shows that process's own report and flamegraph.
 * In a real headless Chromium (test/helpers/viewer-browser.ts), served and from file://.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../src/analysis/names.js';
import type { Report } from '../src/report/format.js';
import { artifact, hasChromium, launchBrowser, startView, waitForViewer, type Browser, type ViewProcess } from './helpers/viewer-browser.js';
import { fixture, runCli } from './helpers/run.js';

describe.runIf(hasChromium)('picking a process in the viewer', () => {
  let main: Report;
  let out: string;
  let browser: Browser;
  let view: ViewProcess;
  beforeAll(async () => {
    const run = await runCli(['profile', 'cluster.js'], { cwd: fixture('processes') });
    expect(run.code, run.stderr).toBe(0);
    main = run.report!;
    out = run.out;
    view = await startView(['--no-open', join(out, 'run.importcost.json')]);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    expect(await view?.stop()).toBe(0);
  });

  const reportOf = (label: string): Report => {
    const file = main.processes!.find((p) => p.label === label)!.file;
    return JSON.parse(readFileSync(join(out, file), 'utf8')) as Report;
  };

  async function expectShows(label: string): Promise<void> {
    const { page } = browser;
    await waitForViewer(page);
    const report = reportOf(label);
    expect(await page.locator('#process').inputValue()).toBe(label);
    expect(await page.locator('[data-total="heapBytes"] .v').innerText()).toBe(formatBytes(report.totals.heapBytes));
    expect(await page.locator('[data-total="modules"] .v').innerText()).toBe(String(report.totals.modules));
  }

  it('served: a picker lists every process; choosing one shows its report', async () => {
    const { page } = browser;
    await page.goto(view.url);
    await expectShows(main.process.label);
    const options = await page.locator('#process option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options.sort()).toEqual(main.processes!.map((p) => p.label).sort());
    await page.screenshot({ path: artifact('processes-main.png') });
    await Promise.all([page.waitForURL(/\?p=cluster-primary/), page.locator('#process').selectOption('cluster-primary')]);
    await expectShows('cluster-primary');
    // Its own flamegraph: speedscope loads that process's profile.
    await page.click('#tabs a[data-view="flame-0"]');
    await page.frameLocator('iframe[data-view="flame-0"]').getByText('Retained heap by import chain').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: artifact('processes-primary.png') });
    expect(browser.errors).toEqual([]);
  });

  it('export --html: the same picker in one file, from file://', async () => {
    const html = join(out, 'run.html');
    const exported = await runCli(['export', '--html', html, join(out, 'run.importcost.json')]);
    expect(exported.code, exported.stderr).toBe(0);
    const offline = await launchBrowser({ offline: true });
    try {
      await offline.page.goto(`file://${html}?p=cluster-primary`);
      await waitForViewer(offline.page);
      expect(await offline.page.locator('#process').inputValue()).toBe('cluster-primary');
      expect(await offline.page.locator('[data-total="modules"] .v').innerText()).toBe(String(reportOf('cluster-primary').totals.modules));
      expect(offline.errors).toEqual([]);
    } finally {
      await offline.close();
    }
  });
});
