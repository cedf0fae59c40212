/**
 * `importcost export --html`: one file that opens from file:// with the network cut off, summary and
 * speedscope both working; and a 5,000-module synthetic report that must not freeze the page.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatBytes, formatMs } from '../src/analysis/names.js';
import { summarizePackages, type PackageRow } from '../src/analysis/rollup.js';
import type { Report } from '../src/report/format.js';
import { runCli } from './helpers/run.js';
import { artifact, hasChromium, launchBrowser, openSandwich, PROFILE_NAMES, screenshotFlameTabs, waitForViewer } from './helpers/viewer-browser.js';
import { largeReport } from './helpers/viewer-synthetic.js';

let out: string;
let report: Report;
let packages: PackageRow[];
let html: string;

beforeAll(async () => {
  const profiled = await runCli(['profile', '-q', 'examples/express-server/server.js']);
  expect(profiled.code, profiled.stderr).toBe(0);
  out = profiled.out;
  report = profiled.report!;
  packages = summarizePackages(report);
  html = join(out, 'report.html');
  const exported = await runCli(['export', '--html', html, join(out, 'run.importcost.json')]);
  expect(exported.code, exported.stderr).toBe(0);
  expect(exported.stderr).toMatch(/wrote .*report\.html/);
});

describe('the file', () => {
  it('is one file: no src or href that would load anything', () => {
    const text = readFileSync(html, 'utf8');
    // Outside the embedded data (JSON with `<` escaped), no element points anywhere.
    const markup = text.replace(/<script type="application\/json"[^>]*>[^<]*<\/script>/g, '');
    expect(markup).not.toMatch(/\s(src|href)=["'](?!#)/i);
    expect(markup).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('bad input: exit 2, one line, nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'importcost-export-bad-'));
    writeFileSync(join(dir, 'newer.json'), JSON.stringify({ schema: 'importcost-report@3' }));
    const target = join(dir, 'out.html');
    const newer = await runCli(['export', '--html', target, join(dir, 'newer.json')]);
    expect(newer.code).toBe(2);
    expect(newer.stderr).toMatch(/^importcost: .*newer importcost.*\n {2}hint: .*\n$/);
    expect(existsSync(target)).toBe(false);
    const noFormat = await runCli(['export', join(out, 'run.importcost.json')]);
    expect(noFormat.code).toBe(2);
    expect(noFormat.stderr).toMatch(/export needs a format/);
  });
});

describe.skipIf(!hasChromium)('from file:// with the network cut off', () => {
  it('shows the summary with the report numbers and each speedscope profile', async () => {
    const browser = await launchBrowser({ offline: true });
    try {
      const { page } = browser;
      await page.goto(pathToFileURL(html).href);
      await waitForViewer(page);
      await page.screenshot({ path: artifact('export-summary.png'), fullPage: true });
      const ids = await page.locator('table.rows tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row')));
      expect(ids).toEqual(packages.map((p) => p.id));
      for (const pkg of packages.slice(0, 5)) {
        const row = page.locator(`table.rows tbody tr[data-row="${pkg.id}"]`);
        expect(await row.locator('td[data-key="totalBytes"]').innerText()).toBe(formatBytes(pkg.totalBytes));
        expect(Number(await row.locator('td[data-key="totalBytes"]').getAttribute('data-value'))).toBe(pkg.totalBytes);
        expect(await row.locator('td[data-key="totalMs"]').innerText()).toBe(formatMs(pkg.totalMs));
      }

      await screenshotFlameTabs(page, 'export-flame');
      const { table } = await openSandwich(page, 1, PROFILE_NAMES[1]!);
      await page.screenshot({ path: artifact('export-sandwich-load-time.png') });
      const slowest = [...report.modules].sort((a, b) => b.selfMs - a.selfMs).slice(0, 3);
      for (const m of slowest) expect(table).toContain(m.name);

      const notLocal = browser.requests.filter((u) => !/^(file|data|blob|about):/.test(u));
      expect(notLocal).toEqual([]);
      // The only file it read is itself.
      expect(browser.requests.filter((u) => u.startsWith('file:'))).toEqual([pathToFileURL(html).href]);
      expect(browser.errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe.skipIf(!hasChromium)('5,000 modules', () => {
  it('renders without freezing: summary, sorting, filtering, all rows, flamegraph', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'importcost-large-'));
    const big = largeReport(5000, 250);
    writeFileSync(join(dir, 'large.importcost.json'), JSON.stringify(big));
    const file = join(dir, 'large.html');
    const exported = await runCli(['export', '--html', file, join(dir, 'large.importcost.json')]);
    expect(exported.code, exported.stderr).toBe(0);

    const browser = await launchBrowser({ offline: true });
    try {
      const { page } = browser;
      const t0 = Date.now();
      await page.goto(pathToFileURL(file).href);
      const renderMs = await waitForViewer(page);
      const loadMs = Date.now() - t0;
      await page.screenshot({ path: artifact('large-summary.png') });

      const timed = async (action: () => Promise<unknown>): Promise<number> => {
        const start = Date.now();
        await action();
        // A frame after the work: the page answered again.
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
        return Date.now() - start;
      };
      await page.click('.seg button[data-kind="modules"]');
      const sortMs = await timed(() => page.click('table.rows th[data-key="totalMs"]'));
      const filterMs = await timed(() => page.fill('input[type="search"]', 'pkg-1'));
      expect(await page.locator('table.rows tbody tr').count()).toBeGreaterThan(0);
      await page.fill('input[type="search"]', '');
      // The first page of rows, sorted again: the yardstick for showing all of them (per row).
      const firstRows = await page.locator('table.rows tbody tr').count();
      const pageMs = await timed(() => page.click('table.rows th[data-key="totalMs"]'));
      const allMs = await timed(() => page.click('.more button'));
      expect(await page.locator('table.rows tbody tr').count()).toBe(5000);
      const flameMs = await timed(async () => {
        await page.click('#tabs a[data-view="flame-0"]');
        await page.frameLocator('iframe[data-view="flame-0"]').getByText('Retained heap by import chain').first().waitFor({ timeout: 60_000 });
      });
      await page.waitForTimeout(500);
      await page.screenshot({ path: artifact('large-flame-0.png') });
      console.log(
        `viewer, 5000 modules (${(readFileSync(file).length / 1e6).toFixed(2)} MB html): first render ${renderMs.toFixed(0)} ms ` +
          `(page load ${loadMs} ms), sort ${sortMs} ms, filter ${filterMs} ms, the first ${firstRows} rows again ${pageMs} ms, all 5000 rows ${allMs} ms, flamegraph ${flameMs} ms`,
      );
      // Budgets with room for a shared 2-core machine; a page that freezes takes seconds.
      expect(renderMs).toBeLessThan(1500);
      expect(sortMs).toBeLessThan(1500);
      expect(filterMs).toBeLessThan(1500);
      // All 5,000 rows: per row, at most 4x what the first page's rows took in the same page, so that a
      // busy machine moves both (2,863 ms alone here, 5,740 ms with CI's other suites running beside it,
      // against a fixed 4 s budget before); rendering that grows faster than the rows (a freeze) does not
      // pass. Measured per row, alone: all rows 0.68-0.75 ms, the first page 0.88-0.95 ms.
      expect(allMs / 5000).toBeLessThan((4 * Math.max(pageMs, 50)) / firstRows);
      expect(browser.errors).toEqual([]);
      // The package rows are summarizePackages' rows.
      await page.click('#tabs a[data-view="summary"]');
      await page.click('.seg button[data-kind="packages"]');
      const top = await page.locator('table.rows tbody tr').first().getAttribute('data-row');
      expect(top).toBe(summarizePackages(big)[0]!.id);
    } finally {
      await browser.close();
    }
  });
});
