/**
 * `importcost view`: the real CLI profiles the express example, the real `view` process serves it, and a
 * real headless chromium reads the summary and speedscope from it. Also the server's refusals (paths,
 * methods, hosts) over raw HTTP, and bad input stopping before any server starts.
 */
import { request } from 'node:http';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deferralSavings, summarizePackages, type PackageRow } from '../src/analysis/rollup.js';
import { formatBytes, formatMs } from '../src/analysis/names.js';
import { run } from '../src/cli/main.js';
import type { Report } from '../src/report/format.js';
import { runCli } from './helpers/run.js';
import { artifact, hasChromium, launchBrowser, openSandwich, PROFILE_NAMES, screenshotFlameTabs, startView, waitForViewer, type Browser, type ViewProcess } from './helpers/viewer-browser.js';

let out: string;
let reportFile: string;
let report: Report;
let packages: PackageRow[];

beforeAll(async () => {
  const profiled = await runCli(['profile', '-q', 'examples/express-server/server.js']);
  expect(profiled.code, profiled.stderr).toBe(0);
  out = profiled.out;
  reportFile = join(out, 'run.importcost.json');
  report = profiled.report!;
  packages = summarizePackages(report);
});

/** A raw HTTP request: the path goes out exactly as written (fetch would normalise `..` away). */
function raw(url: string, path: string, options: { method?: string; host?: string } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { port } = new URL(url);
  return new Promise((resolveRequest, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(port), path, method: options.method ?? 'GET', headers: options.host ? { host: options.host } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolveRequest({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('bad input: one line, exit 2, no server', () => {
  const io = (argv: string[]) => {
    let stdout = '';
    let stderr = '';
    return {
      io: { argv, cwd: process.cwd(), env: {}, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } },
      out: () => stdout,
      err: () => stderr,
    };
  };
  const dir = mkdtempSync(join(tmpdir(), 'importcost-view-bad-'));
  const cases: [string, string, RegExp][] = [
    ['foreign.json', JSON.stringify({ name: 'some-package', version: '1.0.0' }), /is not an importcost report/],
    ['truncated.importcost.json', '{"schema":"importcost-report@1","modules":[{"id":0', /not valid JSON \(truncated\?\)/],
    ['newer.importcost.json', JSON.stringify({ schema: 'importcost-report@7', modules: [], totals: {} }), /newer importcost \(schema importcost-report@7\)/],
    ['empty.speedscope.json', JSON.stringify({ $schema: 'https://www.speedscope.app/file-format-schema.json', shared: { frames: [] }, profiles: [] }), /speedscope file with no profiles/],
  ];
  for (const [name, text, message] of cases) {
    it(`refuses ${name}`, async () => {
      const file = join(dir, name);
      writeFileSync(file, text);
      const cli = io(['view', '--no-open', file]);
      expect(await run(cli.io)).toBe(2);
      const lines = cli.err().trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(message);
      expect(lines[1]).toMatch(/^ {2}hint: /);
      expect(cli.out()).not.toMatch(/http:/);
    });
  }
  it('refuses a missing file and a bad port', async () => {
    const missing = io(['view', '--no-open', join(dir, 'nope.importcost.json')]);
    expect(await run(missing.io)).toBe(2);
    expect(missing.err()).toMatch(/cannot read .*nope\.importcost\.json \(ENOENT\)/);
    const port = io(['view', '--port', '70000', reportFile]);
    expect(await run(port.io)).toBe(2);
    expect(port.err()).toMatch(/port number/);
  });
});

describe('the server', () => {
  let view: ViewProcess;
  beforeAll(async () => {
    view = await startView(['--no-open', reportFile]);
  });
  afterAll(async () => {
    expect(await view.stop()).toBe(0);
  });

  it('listens on 127.0.0.1, prints the URL, and without a display only prints', () => {
    expect(view.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(view.stdout()).toContain(`viewing ${join(out, 'run.importcost.json')}`);
  });

  it('serves the page, speedscope and the profile', async () => {
    const page = await raw(view.url, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('id="importcost-data"');
    expect((await raw(view.url, '/speedscope/index.html')).status).toBe(200);
    const profile = await raw(view.url, '/profile/1.speedscope.json');
    expect(profile.status).toBe(200);
    const file = JSON.parse(profile.body);
    expect(file.activeProfileIndex).toBe(1);
    expect(file.profiles.map((p: { name: string }) => p.name)).toEqual(['Retained heap by import chain', 'Load time by import chain (self)', 'Load timeline']);
    const head = await raw(view.url, '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  const refused = [
    '/../package.json',
    '/speedscope/../../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E/%2E%2E/etc/passwd',
    '/speedscope/%2e%2e/%2e%2e/%2e%2e/package.json',
    '/speedscope/..%2f..%2f..%2fpackage.json',
    '/speedscope/..%5c..%5cpackage.json',
    '/speedscope/%252e%252e/package.json',
    '//etc/passwd',
    '/etc/passwd',
    '/speedscope/',
    '/speedscope',
    '/profile/',
    '/profile/3.speedscope.json',
    '/run.importcost.json',
    '/viewer/summary.js',
    '/package.json',
    '/speedscope/index.html/',
    '/speedscope/index.html%00',
    'http://example.com/',
  ];
  for (const path of refused) {
    it(`404 for ${path}`, async () => {
      const res = await raw(view.url, path);
      expect(res.status).toBe(404);
      expect(res.body).toBe('not found\n');
    });
  }

  it('GET and HEAD only', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const res = await raw(view.url, '/', { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
    }
  });

  it('answers only requests addressed to itself (no DNS rebinding)', async () => {
    expect((await raw(view.url, '/', { host: 'evil.example:80' })).status).toBe(404);
    expect((await raw(view.url, '/', { host: `localhost:${new URL(view.url).port}` })).status).toBe(200);
  });
});

describe('--port', () => {
  it('listens on the port asked for, and says so when it is taken', async () => {
    const port = await new Promise<number>((resolvePort) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolvePort(p));
      });
    });
    const view = await startView(['--no-open', '--port', String(port), reportFile]);
    expect(view.url).toBe(`http://127.0.0.1:${port}/`);
    const second = await runCli(['view', '--no-open', '--port', String(port), reportFile]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
    expect(await view.stop()).toBe(0);
  });
});

describe('profile --open', () => {
  it('profiles, then serves the new report until Ctrl-C (no display: prints the URL only)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'importcost-open-'));
    const view = await startView(['--open', '-q', '-o', dir, '--name', 'opened', 'test/fixtures/cli/server/entry.js'], 'profile');
    // The note follows the URL line.
    for (let i = 0; i < 50 && !/no display found/.test(view.stdout()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(view.stdout()).toMatch(/no display found; open the URL above/);
    const page = await raw(view.url, '/');
    expect(page.status).toBe(200);
    const data = JSON.parse(/<script type="application\/json" id="importcost-data">([^<]*)<\/script>/.exec(page.body)![1]!);
    expect(data.report.modules.length).toBe(JSON.parse(readFileSync(join(dir, 'opened.importcost.json'), 'utf8')).modules.length);
    expect(await view.stop()).toBe(0);
  });
});

describe.skipIf(!hasChromium)('in chromium', () => {
  let view: ViewProcess;
  let browser: Browser;
  beforeAll(async () => {
    view = await startView(['--no-open', reportFile]);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    expect(await view?.stop()).toBe(0);
  });

  it('the summary lists the real packages with the report numbers', async () => {
    const { page } = browser;
    await page.goto(view.url);
    const renderMs = await waitForViewer(page);
    console.log(`viewer: summary of ${report.modules.length} modules rendered in ${renderMs.toFixed(0)} ms`);
    await page.screenshot({ path: artifact('view-summary.png'), fullPage: true });

    expect(await page.locator('[data-total="heapBytes"] .v').innerText()).toBe(formatBytes(report.totals.heapBytes));
    expect(await page.locator('[data-total="modules"] .v').innerText()).toBe(String(report.totals.modules));
    expect(await page.locator('[data-total="node"] .v').innerText()).toBe(report.node);

    // Every third-party package is a row, in summarizePackages' order, with its numbers.
    const ids = await page.locator('table.rows tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row')));
    expect(ids).toEqual(packages.map((p) => p.id));
    for (const name of ['express', '@aws-sdk/client-s3', 'lodash', 'body-parser']) {
      const pkg = packages.find((p) => p.name === name)!;
      expect(pkg, name).toBeDefined();
      const row = page.locator(`table.rows tbody tr[data-row="${pkg.id}"]`);
      for (const [key, text] of [
        ['totalBytes', formatBytes(pkg.totalBytes)],
        ['selfBytes', formatBytes(pkg.selfBytes)],
        ['totalMs', formatMs(pkg.totalMs)],
        ['selfMs', formatMs(pkg.selfMs)],
      ] as const) {
        const cell = row.locator(`td[data-key="${key}"]`);
        expect(Number(await cell.getAttribute('data-value')), `${name} ${key}`).toBe(pkg[key]);
        expect(await cell.innerText()).toBe(text);
      }
      // What deferring it saves (the import graph), as the terminal summary prints it.
      const defer = row.locator('td[data-key="deferBytes"]');
      expect(Number(await defer.getAttribute('data-value')), `${name} deferBytes`).toBe(deferralSavings(report, pkg));
      expect(await defer.innerText()).toBe(formatBytes(deferralSavings(report, pkg)));
      const first = report.modules[pkg.firstModule]!;
      expect(await row.locator('td[data-key="site"]').innerText()).toBe(`${first.site!.file.slice(report.cwd.length + 1)}:${first.site!.line}:${first.site!.column}`);
      expect(await row.locator('td[data-key="chain"]').innerText()).toContain(first.name);
    }
    // The bar chart: the top packages by retained heap, heaviest first.
    const bars = await page.locator('.bars .name').allInnerTexts();
    expect(bars).toEqual(packages.slice(0, bars.length).map((p) => p.id));
    // The growth chart: one stacked series per top package, the heaviest included.
    const series = await page.locator('.growth path[data-series]').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-series')));
    expect(series.length).toBeGreaterThan(3);
  });

  it('the table sorts and filters', async () => {
    const { page } = browser;
    await page.click('table.rows th[data-key="totalMs"]');
    const ms = await page.locator('table.rows tbody td[data-key="totalMs"]').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-value'))));
    expect(ms).toEqual([...ms].sort((a, b) => b - a));
    expect(ms[0]).toBe(Math.max(...packages.map((p) => p.totalMs)));
    await page.click('table.rows th[data-key="totalMs"]');
    const ascending = await page.locator('table.rows tbody td[data-key="totalMs"]').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-value'))));
    expect(ascending).toEqual([...ms].reverse());

    await page.click('.seg button[data-kind="modules"]');
    await page.fill('input[type="search"]', 'lodash');
    const rows = await page.locator('table.rows tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-row')));
    const expected = report.modules.filter((m) => {
      let chain = '';
      for (let at: number | null = m.id; at !== null; at = report.modules[at]!.parent) chain += report.modules[at]!.name;
      return `${m.name} ${m.path} ${chain} ${m.site?.file ?? ''}`.toLowerCase().includes('lodash');
    });
    expect(rows.sort()).toEqual(expected.map((m) => String(m.id)).sort());
    await page.screenshot({ path: artifact('view-modules-filtered.png'), fullPage: true });
    await page.fill('input[type="search"]', '');
    await page.click('.seg button[data-kind="packages"]');
  });

  it('speedscope loads our profile in each tab; its sandwich view lists our frames', async () => {
    const { page } = browser;
    // The sandwich sorts by self bytes and draws only the rows in view: the heaviest modules by self bytes
    // must be there, by the names we gave them. (A package's first module, its index.js, is often small.)
    const heaviest = [...report.modules].sort((a, b) => b.selfBytes - a.selfBytes).slice(0, 3).map((m) => m.name);
    await screenshotFlameTabs(page, 'view-flame');
    const { table } = await openSandwich(page, 0, PROFILE_NAMES[0]!);
    await page.screenshot({ path: artifact('view-sandwich.png') });
    for (const frame of ['./examples/express-server/server.js', ...heaviest]) expect(table).toContain(frame);
    // One click back to the summary, and the table is still there.
    await page.click('#tabs a[data-view="summary"]');
    expect(await page.locator('#summary').isVisible()).toBe(true);
    expect(await page.locator('iframe[data-view="flame-0"]').isVisible()).toBe(false);
  });

  it('fetched nothing outside 127.0.0.1, and threw nothing', () => {
    const origin = new URL(view.url).origin;
    const outside = browser.requests.filter((u) => !u.startsWith(`${origin}/`) && !/^(data|blob|about):/.test(u));
    expect(outside).toEqual([]);
    expect(browser.requests.some((u) => u.endsWith('/profile/0.speedscope.json'))).toBe(true);
    expect(browser.errors).toEqual([]);
  });
});

describe.skipIf(!hasChromium)('a speedscope file alone', () => {
  it('opens on the flamegraph, and the summary says what is missing', async () => {
    const view = await startView(['--no-open', join(out, 'run.speedscope.json')]);
    const browser = await launchBrowser();
    try {
      await browser.page.goto(view.url);
      await waitForViewer(browser.page);
      expect(await browser.page.locator('#tabs a[aria-current="page"]').getAttribute('data-view')).toBe('flame-0');
      await browser.page.frameLocator('iframe[data-view="flame-0"]').getByText('Retained heap by import chain').first().waitFor({ timeout: 30_000 });
      await browser.page.click('#tabs a[data-view="summary"]');
      expect(await browser.page.locator('#summary .warn').innerText()).toMatch(/speedscope file.*needs the \.importcost\.json/s);
      expect(readFileSync(join(out, 'run.speedscope.json'), 'utf8').length).toBeGreaterThan(0);
    } finally {
      await browser.close();
      expect(await view.stop()).toBe(0);
    }
  });
});
